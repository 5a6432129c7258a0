using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>Contrast-limited adaptive histogram equalisation (OpenCV CLAHE) of a square greyscale image: the last step.</summary>
public static class Clahe
{
    /// <summary>
    /// CLAHE of <paramref name="pixels"/> (<paramref name="size"/>², row-major grey). Returns a new array; a
    /// <paramref name="clipLimit"/> &lt;= 0 returns an unchanged copy (CLAHE disabled).
    /// </summary>
    /// <param name="pixels">grey bytes, length size × size</param>
    /// <param name="size">side of the square image</param>
    /// <param name="clipLimit">contrast limit per tile (OpenCV units; 2.0 by default in <see cref="PreprocessOptions"/>)</param>
    /// <param name="tileGrid">tiles per side (8 by default)</param>
    public static byte[] Apply(byte[] pixels, int size, double clipLimit, int tileGrid)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (size < 1 || pixels.Length != (long)size * size)
            throw new ArgumentException($"pixel buffer holds {pixels.Length} bytes, expected {size}x{size} = {(long)size * size}", nameof(pixels));
        if (clipLimit <= 0 || double.IsNaN(clipLimit)) return (byte[])pixels.Clone();
        if (tileGrid < 1 || tileGrid > size)
            throw new ArgumentOutOfRangeException(nameof(tileGrid), tileGrid, $"tile grid must be between 1 and the image size {size}");
        using var src = Mat.FromPixelData(size, size, MatType.CV_8UC1, pixels);
        using var dst = new Mat();
        using var clahe = Cv2.CreateCLAHE(clipLimit, new Size(tileGrid, tileGrid));
        clahe.Apply(src, dst);
        dst.GetArray(out byte[] result);
        return result;
    }
}
