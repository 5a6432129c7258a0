using OpenCvSharp;

namespace EdramFer.Vision.Tests;

public sealed class ImageHeaderTests
{
    [Theory]
    [InlineData(".png", "PNG")]
    [InlineData(".jpg", "JPEG")]
    [InlineData(".bmp", "BMP")]
    [InlineData(".webp", "WebP")]
    [InlineData(".gif", "GIF")]
    public void TryRead_EncodedByOpenCv_DeclaresTheImageSize(string ext, string format)
    {
        using var image = TestImages.Synthetic(123, 45);

        var header = ImageHeader.TryRead(TestImages.Encode(image, ext));

        Assert.Equal((format, 123L, 45L), header);
    }

    [Fact]
    public void TryRead_LosslessWebP_DeclaresTheImageSize()
    {
        using var image = TestImages.Synthetic(321, 17);

        var header = ImageHeader.TryRead(TestImages.Encode(image, ".webp", new ImageEncodingParam(ImwriteFlags.WebPQuality, 101)));

        Assert.Equal(("WebP", 321L, 17L), header);
    }

    [Fact]
    public void TryRead_ProgressiveJpeg_DeclaresTheImageSize()
    {
        using var image = TestImages.Synthetic(64, 200);

        var header = ImageHeader.TryRead(TestImages.Encode(image, ".jpg", new ImageEncodingParam(ImwriteFlags.JpegProgressive, 1)));

        Assert.Equal(("JPEG", 64L, 200L), header);
    }

    [Fact]
    public void TryRead_Text_Null()
    {
        Assert.Null(ImageHeader.TryRead("hello, not an image"u8));
    }

    [Fact]
    public void IsTruncatedJpeg_CompleteAndCut_Detected()
    {
        using var image = TestImages.Synthetic(40, 40);
        var jpg = TestImages.Encode(image, ".jpg");

        Assert.False(ImageHeader.IsTruncatedJpeg(jpg));
        Assert.True(ImageHeader.IsTruncatedJpeg(jpg[..^10]));
    }
}
