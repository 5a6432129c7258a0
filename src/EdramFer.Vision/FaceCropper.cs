using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>A square region of an image, in source pixels.</summary>
public readonly record struct CropRect(int X, int Y, int Size);

/// <summary>
/// The crop step alone: square box around a face (or the no-face fallback), then greyscale and INTER_AREA resize.
/// Returns the grey crop BEFORE CLAHE; <see cref="FacePreprocessor"/> applies <see cref="Clahe.Apply"/> after it.
/// </summary>
public static class FaceCropper
{
    /// <summary>
    /// Square box centred on <paramref name="face"/>, side = longer face side × (1 + 2 × <paramref name="margin"/>).
    /// Clamped to the image by shrinking the side to the image's shorter side if needed and shifting the box inside,
    /// so the crop stays square (no aspect distortion when resized).
    /// </summary>
    public static CropRect SquareAround(FaceBox face, int imageWidth, int imageHeight, double margin)
    {
        RequireSize(imageWidth, imageHeight);
        if (!(margin >= 0) || double.IsInfinity(margin))
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "margin must be a finite number >= 0");
        var side = (int)Math.Round(Math.Max(face.Width, face.Height) * (1 + 2 * margin));
        side = Math.Clamp(side, 1, Math.Min(imageWidth, imageHeight));
        var cx = face.X + face.Width / 2.0;
        var cy = face.Y + face.Height / 2.0;
        var x = Math.Clamp((int)Math.Round(cx - side / 2.0), 0, imageWidth - side);
        var y = Math.Clamp((int)Math.Round(cy - side / 2.0), 0, imageHeight - side);
        return new CropRect(x, y, side);
    }

    /// <summary>The largest centred square: side = shorter image side.</summary>
    public static CropRect CentreSquare(int imageWidth, int imageHeight)
    {
        RequireSize(imageWidth, imageHeight);
        var side = Math.Min(imageWidth, imageHeight);
        return new CropRect((imageWidth - side) / 2, (imageHeight - side) / 2, side);
    }

    /// <summary>
    /// Crops <paramref name="box"/> out of packed pixels (1 = grey, 3 = BGR, 4 = BGRA; alpha ignored), converts to grey
    /// and resizes to <paramref name="outputSize"/>² with INTER_AREA. Returns row-major bytes.
    /// </summary>
    public static byte[] CropGrey(ReadOnlySpan<byte> pixels, int width, int height, int channels, CropRect box, int outputSize)
    {
        using var image = MatFromPixels(pixels, width, height, channels);
        return CropGrey(image, new Rect(box.X, box.Y, box.Size, box.Size), outputSize, outputSize);
    }

    /// <summary>Crop, grey, INTER_AREA resize of an 8-bit 1/3/4-channel Mat.</summary>
    internal static byte[] CropGrey(Mat image, Rect region, int outputWidth, int outputHeight)
    {
        if (outputWidth < 1 || outputHeight < 1)
            throw new ArgumentOutOfRangeException(nameof(outputWidth), $"output size must be >= 1, got {outputWidth}x{outputHeight}");
        if (region.X < 0 || region.Y < 0 || region.Width < 1 || region.Height < 1 || region.Right > image.Width || region.Bottom > image.Height)
            throw new ArgumentOutOfRangeException(nameof(region), $"crop {region} is not inside the {image.Width}x{image.Height} image");
        using var roi = image[region];
        using var grey = new Mat();
        switch (image.Channels())
        {
            case 1: roi.CopyTo(grey); break;
            case 3: Cv2.CvtColor(roi, grey, ColorConversionCodes.BGR2GRAY); break;
            case 4: Cv2.CvtColor(roi, grey, ColorConversionCodes.BGRA2GRAY); break;
            default: throw new ArgumentException($"expected 1, 3 or 4 channels, got {image.Channels()}");
        }
        using var resized = new Mat();
        Cv2.Resize(grey, resized, new Size(outputWidth, outputHeight), 0, 0, InterpolationFlags.Area);
        var bytes = new byte[outputWidth * outputHeight];
        resized.GetArray(out byte[] packed); // continuous after Resize
        packed.CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>A Mat owning a copy of packed 8-bit pixels.</summary>
    internal static Mat MatFromPixels(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        RequireSize(width, height);
        if (channels is not (1 or 3 or 4))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "expected 1 (grey), 3 (BGR) or 4 (BGRA) channels");
        var expected = (long)width * height * channels;
        if (pixels.Length != expected)
            throw new ArgumentException($"pixel buffer holds {pixels.Length} bytes, expected {width}x{height}x{channels} = {expected}", nameof(pixels));
        var mat = new Mat(height, width, MatType.CV_8UC(channels));
        unsafe
        {
            pixels.CopyTo(new Span<byte>((void*)mat.Data, pixels.Length));
        }
        return mat;
    }

    private static void RequireSize(int width, int height)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size must be at least 1x1, got {width}x{height}");
    }
}
