using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>Encoded bytes → 8-bit grey or BGR Mat, with a specific status for every way that can fail.</summary>
internal static class ImageDecoder
{
    /// <summary>
    /// Decoded image or the failure. Note carries a non-fatal remark (e.g. truncated JPEG). Multi-image files give their
    /// first image: the first frame of an animated GIF, the first page of a multi-page TIFF.
    /// </summary>
    public static (Mat? Image, PreprocessStatus Status, string Message, string Note) Decode(byte[] encoded, string source, long maxPixels)
    {
        if (encoded.Length == 0)
            return (null, PreprocessStatus.EmptyFile, $"{source}: file is empty (0 bytes)", "");
        // Only formats whose header was read here reach the decoder, so no decoder allocates for an unchecked size.
        var header = ImageHeader.Check(encoded);
        if (header.Format is not { } format)
            return (null, PreprocessStatus.Undecodable, $"{source}: not a recognised image format (expected {ImageHeader.SupportedFormats})", "");
        if (header.Problem is { } problem)
            return (null, PreprocessStatus.Undecodable, $"{source}: {problem}", "");
        var (w, h) = (header.Width, header.Height);
        if (w == 0 || h == 0)
            return (null, PreprocessStatus.ZeroSize, $"{source}: {format} header declares a {w}x{h} image (zero width or height)", "");
        if (w > maxPixels / h) // w * h > maxPixels without overflow; Int128 below: two longs overflowed decimal (found by fuzzing)
            return (null, PreprocessStatus.TooLarge,
                $"{source}: {format} header declares {w}x{h} = {(Int128)w * h:N0} pixels, more than MaxPixels = {maxPixels:N0}; refused before decoding", "");
        var note = ImageHeader.IsTruncatedJpeg(encoded) ? "truncated JPEG (no end-of-image marker), decoded partially" : "";
        Mat decoded;
        try
        {
            // Unchanged keeps 16-bit depth and alpha so they are normalised here, the same way for every format.
            decoded = Cv2.ImDecode(encoded, ImreadModes.Unchanged);
        }
        catch (OpenCVException e)
        {
            return (null, PreprocessStatus.Undecodable, $"{source}: the decoder rejected the {format} data ({e.Message.Trim()})", "");
        }
        if (decoded.Empty())
        {
            decoded.Dispose();
            var what = note.Length > 0
                ? "truncated JPEG (data ends without the end-of-image marker); OpenCV's JPEG reader rejects incomplete files"
                : $"{format} data that the decoder rejects (corrupt or truncated)";
            return (null, PreprocessStatus.Undecodable, $"{source}: {what}", "");
        }
        if (decoded.Width == 0 || decoded.Height == 0)
        {
            decoded.Dispose();
            return (null, PreprocessStatus.ZeroSize, $"{source}: decoded to a {decoded.Width}x{decoded.Height} image", "");
        }
        if ((long)decoded.Width * decoded.Height > maxPixels) // a header that understated the size
        {
            var msg = $"{source}: decoded to {decoded.Width}x{decoded.Height} pixels, more than MaxPixels = {maxPixels:N0}";
            decoded.Dispose();
            return (null, PreprocessStatus.TooLarge, msg, "");
        }
        try
        {
            return (Normalise(decoded, source), PreprocessStatus.Ok, "", note);
        }
        catch (NotSupportedException e)
        {
            return (null, PreprocessStatus.Undecodable, e.Message, "");
        }
    }

    /// <summary>
    /// 8-bit depth and 1 (grey) or 3 (BGR) channels. 16-bit is scaled by 1/257 (65535 → 255); float is taken as 0..1;
    /// alpha is dropped (colour values are kept as stored). Disposes <paramref name="image"/> when it returns a new Mat.
    /// </summary>
    public static Mat Normalise(Mat image, string source)
    {
        var current = image;
        var depth = current.Depth();
        if (depth != MatType.CV_8U)
        {
            var scale = depth == MatType.CV_16U ? 1.0 / 257 : depth == MatType.CV_32F || depth == MatType.CV_64F ? 255.0 : 0;
            if (scale == 0)
            {
                current.Dispose();
                throw new NotSupportedException($"{source}: unsupported pixel depth {depth} (expected 8-bit, 16-bit unsigned or float)");
            }
            var eight = new Mat();
            current.ConvertTo(eight, MatType.CV_8U, scale);
            current.Dispose();
            current = eight;
        }
        if (current.Channels() is 1 or 3) return current;
        if (current.Channels() == 4)
        {
            var bgr = new Mat();
            Cv2.CvtColor(current, bgr, ColorConversionCodes.BGRA2BGR);
            current.Dispose();
            return bgr;
        }
        if (current.Channels() == 2) // grey + alpha: keep the grey plane
        {
            var grey = new Mat();
            Cv2.ExtractChannel(current, grey, 0);
            current.Dispose();
            return grey;
        }
        var channels = current.Channels();
        current.Dispose();
        throw new NotSupportedException($"{source}: unsupported channel count {channels} (expected 1, 2, 3 or 4)");
    }
}
