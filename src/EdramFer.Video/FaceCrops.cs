using System.Runtime.InteropServices;
using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Video;

/// <summary>
/// The model input for one face of a frame, made exactly as for a still image: <see cref="FaceCropper.SquareAround"/>
/// with the margin, grey, INTER_AREA resize, then CLAHE. Without a detector the whole frame goes through the still-image
/// preprocessor with an empty chain, as <c>--detector none</c> does for images.
/// </summary>
public sealed class FaceCrops : IDisposable
{
    private readonly PreprocessOptions _options;
    private readonly FacePreprocessor _whole;

    /// <summary>Crops with the margin, output size and CLAHE settings of <paramref name="options"/>.</summary>
    public FaceCrops(PreprocessOptions options)
    {
        _options = options;
        _whole = new FacePreprocessor(options with { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage });
    }

    /// <summary>Row-major grey bytes of side <see cref="PreprocessOptions.OutputSize"/> for <paramref name="face"/> in an 8-bit BGR <paramref name="frame"/>.</summary>
    public byte[] Crop(Mat frame, FaceBox face, bool wholeFrame)
    {
        if (wholeFrame)
            return _whole.ProcessPixels(Pack(frame), frame.Width, frame.Height, frame.Channels(), "frame").Pixels
                   ?? throw new InvalidOperationException("whole-frame preprocessing returned no pixels");
        var box = FaceCropper.SquareAround(face, frame.Width, frame.Height, _options.Margin);
        // Only the square region is copied out of the frame; cropping that copy whole gives the same pixels as cropping the frame.
        using var region = new Mat(frame, new Rect(box.X, box.Y, box.Size, box.Size));
        var grey = FaceCropper.CropGrey(Pack(region), box.Size, box.Size, region.Channels(), new CropRect(0, 0, box.Size), _options.OutputSize);
        return _options.ClaheClipLimit > 0 ? Clahe.Apply(grey, _options.OutputSize, _options.ClaheClipLimit, _options.ClaheTileGrid) : grey;
    }

    /// <summary>The pixels of a (sub-)Mat without row padding.</summary>
    private static byte[] Pack(Mat image)
    {
        using var dense = image.IsContinuous() ? null : image.Clone();
        var source = dense ?? image;
        var packed = new byte[source.Width * source.Height * source.Channels()];
        Marshal.Copy(source.Data, packed, 0, packed.Length);
        return packed;
    }

    /// <summary>Releases the whole-frame preprocessor.</summary>
    public void Dispose() => _whole.Dispose();
}
