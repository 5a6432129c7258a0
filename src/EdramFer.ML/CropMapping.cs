using EdramFer.Vision;

namespace EdramFer.ML;

/// <summary>Decoded crop state: the preprocessor (detector pools), the folder for relative paths and how many faces to keep.</summary>
internal sealed class CropMapping(FacePreprocessor preprocessor, string? imageFolder, int maxFaces, int imageHeight = 0, int imageWidth = 0, bool letterboxed = false)
    : IDisposable
{
    public FacePreprocessor Preprocessor { get; } = preprocessor;

    public static CropMapping Create(CropState state, string? pipelineFolder = null)
    {
        if (state.FacesPerImage < 1)
            throw new InvalidDataException($"DetectAndCropFace state: MaxFaces is {state.MaxFaces}, expected >= 1 (a damaged pipeline zip?)");
        return new(new FacePreprocessor(state.ToOptions(pipelineFolder)), state.ResolveImageFolder(pipelineFolder), state.FacesPerImage,
            state.ImageHeight, state.ImageWidth, state.Letterboxed);
    }

    /// <summary>The mapping of a loaded crop payload, its files resolved against the zip's folder.</summary>
    public static CropMapping Open(ReadOnlyMemory<char> payload, PipelineResources resources) =>
        Create(StateChannel.DecodeHeader<CropState>(payload.Span), resources.PipelineFolder);

    /// <summary>
    /// Crops the faces of the image at <paramref name="path"/> (largest first; one result without a face), a relative
    /// path taken from the image folder (or the working directory without one). A missing file's error names the full
    /// path tried and where relative paths are looked for.
    /// </summary>
    public IReadOnlyList<PreprocessResult> Process(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            return [new PreprocessResult(PreprocessStatus.FileNotFound, "empty image path", null, null, null)];
        var folder = imageFolder ?? Environment.CurrentDirectory;
        var full = Path.GetFullPath(path, folder);
        var results = Preprocessor.ProcessFileFaces(full, maxFaces);
        if (results[0].Status != PreprocessStatus.FileNotFound || Path.IsPathRooted(path)) return results;
        var where = imageFolder is null ? $"the working directory '{folder}' (no ImageFolder set)" : $"the image folder '{folder}'";
        return [results[0] with { Message = $"{results[0].Message} (relative paths are looked for in {where})" }];
    }

    /// <summary>
    /// Crops the faces of interleaved BGR pixels of an image column (<see cref="CropState.ImageHeight"/> x
    /// <see cref="CropState.ImageWidth"/>). The pixels are as ML.NET decoded them (SkiaSharp), so JPEG crops can differ
    /// from the path route's OpenCV decode by a few grey levels. Face boxes are in the pixels of the picture without the
    /// letterbox bars.
    /// </summary>
    public IReadOnlyList<PreprocessResult> ProcessImage(ReadOnlySpan<byte> bgr, string sourceName)
    {
        if (bgr.Length != 3 * imageHeight * imageWidth)
            return [new PreprocessResult(PreprocessStatus.Error, $"{sourceName}: {bgr.Length} pixel bytes, expected {3 * imageHeight * imageWidth}", null, null, null)];
        var (x, y, w, h) = letterboxed ? Letterbox.Content(bgr, imageWidth, imageHeight)
            : bgr.IndexOfAnyExcept((byte)0) < 0 ? (0, 0, 0, 0) : (0, 0, imageWidth, imageHeight);
        if (w == 0 || h == 0)
            return [new PreprocessResult(PreprocessStatus.ZeroSize, $"{sourceName}: the image is empty or entirely black (a null MLImage reads as black)", null, null, null)];
        if (w == imageWidth && h == imageHeight) return Preprocessor.ProcessPixelsFaces(bgr, w, h, 3, maxFaces, sourceName);
        var content = new byte[3 * w * h];
        for (var r = 0; r < h; r++) bgr.Slice(3 * ((y + r) * imageWidth + x), 3 * w).CopyTo(content.AsSpan(3 * r * w));
        return Preprocessor.ProcessPixelsFaces(content, w, h, 3, maxFaces, sourceName);
    }

    public void Dispose() => Preprocessor.Dispose();
}

/// <summary>Finds the picture inside ML.NET's IsoPad letterbox.</summary>
internal static class Letterbox
{
    /// <summary>
    /// The content rectangle of an IsoPad canvas: IsoPad centres the picture and leaves equal black bars on one axis,
    /// so only bars of exactly black (0, 0, 0) rows (or columns) of equal height (width) within 2 pixels are removed.
    /// An all-black canvas gives an empty rectangle.
    /// </summary>
    public static (int X, int Y, int Width, int Height) Content(ReadOnlySpan<byte> bgr, int width, int height)
    {
        bool BlackRow(ReadOnlySpan<byte> p, int r) => p.Slice(3 * r * width, 3 * width).IndexOfAnyExcept((byte)0) < 0;
        bool BlackColumn(ReadOnlySpan<byte> p, int c)
        {
            for (var r = 0; r < height; r++)
                if (p[3 * (r * width + c)] != 0 || p[3 * (r * width + c) + 1] != 0 || p[3 * (r * width + c) + 2] != 0) return false;
            return true;
        }
        int top = 0, bottom = 0, left = 0, right = 0;
        while (top < height && BlackRow(bgr, top)) top++;
        if (top == height) return (0, 0, 0, 0);
        while (BlackRow(bgr, height - 1 - bottom)) bottom++;
        while (BlackColumn(bgr, left)) left++;
        while (BlackColumn(bgr, width - 1 - right)) right++;
        if (top + bottom > 0 && Math.Abs(top - bottom) <= 2 && left + right == 0) return (0, top, width, height - top - bottom);
        if (left + right > 0 && Math.Abs(left - right) <= 2 && top + bottom == 0) return (left, 0, width - left - right, height);
        return (0, 0, width, height);
    }
}
