using System.Buffers.Binary;
using System.Text;
using OpenCvSharp;

namespace EdramFer.Vision.Tests;

/// <summary>
/// Issue 14, defects 3, 18 and 20: every format the decoder accepts has its header read (and the pixel limit applied)
/// before decoding; a file cannot raise the limit; a truncated PGM header says so.
/// </summary>
public sealed class HeaderLimitTests
{
    [Theory]
    [InlineData(".tiff", "TIFF")]
    [InlineData(".pgm", "PGM")]
    [InlineData(".ppm", "PPM")]
    [InlineData(".pbm", "PBM")]
    [InlineData(".pam", "PAM")]
    [InlineData(".pfm", "PFM")]
    [InlineData(".sr", "Sun raster")]
    [InlineData(".hdr", "Radiance HDR")]
    [InlineData(".jp2", "JPEG 2000")]
    public void Check_EncodedByOpenCv_DeclaresTheImageSize(string ext, string format)
    {
        using var image = TestImages.Synthetic(123, 45);
        // OpenCV writes PGM and PBM from grey images only, PFM and HDR from float ones.
        using var input = ext is ".pfm" or ".hdr" ? Float(image) : ext is ".pgm" or ".pbm" ? image.CvtColor(ColorConversionCodes.BGR2GRAY) : image.Clone();

        var header = ImageHeader.Check(TestImages.Encode(input, ext));

        Assert.Equal(HeaderCheck.Size(format, 123, 45), header);
    }

    /// <summary>Headers declaring 20000 x 20000 (400 MP) with almost no data: a decoder trusting them would allocate 1.2 GB.</summary>
    public static TheoryData<string, byte[]> Bombs() => new()
    {
        { "TIFF", Tiff(20000, 20000, littleEndian: true) },
        { "TIFF", Tiff(20000, 20000, littleEndian: false) },
        { "PGM", Encoding.ASCII.GetBytes("P5\n20000 20000\n255\n\0\0\0\0") },
        { "PPM", Encoding.ASCII.GetBytes("P6\n# comment\n20000\n20000 255\n\0\0\0") },
        { "PBM", Encoding.ASCII.GetBytes("P4 20000 20000\n\0\0") },
        { "PAM", Encoding.ASCII.GetBytes("P7\nWIDTH 20000\nHEIGHT 20000\nDEPTH 1\nMAXVAL 255\nTUPLTYPE GRAYSCALE\nENDHDR\n\0\0") },
        { "PFM", Encoding.ASCII.GetBytes("Pf\n20000 20000\n-1.0\n\0\0\0\0") },
        { "Sun raster", SunRaster(20000, 20000) },
        { "Radiance HDR", Encoding.ASCII.GetBytes("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 20000 +X 20000\n\0\0\0\0") },
        { "JPEG 2000", J2k(20000, 20000) },
    };

    [Theory]
    [MemberData(nameof(Bombs))]
    public void ProcessEncoded_HeaderDeclares400Megapixels_TooLargeBeforeDecoding(string format, byte[] bomb)
    {
        // Failed before the fix for TIFF and every format after it here: only PNG/JPEG/BMP/WebP/GIF headers were read,
        // so a 20000x20000 TIFF of 8 MB was decoded (1.34 GB RSS) before the limit refused it.
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = pre.ProcessEncoded(bomb, "bomb");

        Assert.Equal(PreprocessStatus.TooLarge, result.Status);
        Assert.Contains($"{format} header declares 20000x20000", result.Message);
        Assert.Contains("refused before decoding", result.Message);
    }

    [Fact]
    public void ProcessEncoded_UnsupportedFormatOpenExr_NotDecoded()
    {
        // An OpenEXR magic number: OpenCV may decode EXR, but its header is not checked here, so it never reaches the decoder.
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = pre.ProcessEncoded([0x76, 0x2F, 0x31, 0x01, 2, 0, 0, 0, 0, 0], "x.exr");

        Assert.Equal(PreprocessStatus.Undecodable, result.Status);
        Assert.Contains("not a recognised image format (expected JPEG, PNG", result.Message);
    }

    [Theory]
    [InlineData("P5\n100", "width")]
    [InlineData("P5\n100 ", "height")]
    [InlineData("P5\n100 80\n", "maximum value")]
    [InlineData("P2 # comment only", "width")]
    public void ProcessEncoded_TruncatedPgmHeader_SaysTruncated(string text, string field)
    {
        // Failed before the fix: "not a recognised image format".
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = pre.ProcessEncoded(Encoding.ASCII.GetBytes(text), "cut.pgm");

        Assert.Equal(PreprocessStatus.Undecodable, result.Status);
        Assert.Contains($"cut.pgm: truncated PGM header (the data ends before the {field} is complete)", result.Message);
    }

    [Fact]
    public void ProcessEncoded_RealPgmWithinLimit_Decoded()
    {
        using var image = TestImages.Synthetic(90, 70);
        using var grey = image.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = pre.ProcessEncoded(TestImages.Encode(grey, ".pgm"), "real.pgm");

        Assert.Equal(PreprocessStatus.Ok, result.Status);
        Assert.Equal(pre.ProcessPixels(TestImages.Raw(grey), 90, 70, 1).Pixels, result.Pixels);
    }

    [Fact]
    public void FromMetadata_MaxPixelsAboveCeiling_CappedAtTheDefault()
    {
        // Failed before the fix: a pipeline zip with preprocess.max_pixels = 9e12 switched the bomb guard off.
        var raised = PreprocessOptions.FromMetadata(new Dictionary<string, string> { ["preprocess.max_pixels"] = "9000000000000" });
        var lowered = PreprocessOptions.FromMetadata(new Dictionary<string, string> { ["preprocess.max_pixels"] = "1000000" });
        var explicitOption = new PreprocessOptions { MaxPixels = 9_000_000_000_000 };

        Assert.Equal(PreprocessOptions.DefaultMaxPixels, raised.MaxPixels);
        Assert.Equal(1_000_000, lowered.MaxPixels);
        Assert.Equal(9_000_000_000_000, explicitOption.MaxPixels); // only code can raise it
    }

    [Fact]
    public void ToMetadata_FileSizeLimit_NotWrittenSoNoFileCanChangeIt()
    {
        var metadata = new PreprocessOptions { MaxFileBytes = 1L << 40 }.ToMetadata();

        Assert.DoesNotContain(metadata.Keys, k => k.Contains("file", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(PreprocessOptions.DefaultMaxFileBytes, PreprocessOptions.FromMetadata(metadata).MaxFileBytes);
    }

    private static Mat Float(Mat image)
    {
        var f = new Mat();
        image.ConvertTo(f, MatType.CV_32FC3, 1.0 / 255);
        return f;
    }

    /// <summary>A TIFF with one IFD: ImageWidth and ImageLength (LONG), 8-bit grey, one tiny strip.</summary>
    private static byte[] Tiff(uint width, uint height, bool littleEndian)
    {
        var b = new byte[8 + 2 + 6 * 12 + 4 + 16];
        void U16(int at, ushort v) { if (littleEndian) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v); else BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v); }
        void U32(int at, uint v) { if (littleEndian) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v); else BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v); }
        b[0] = b[1] = (byte)(littleEndian ? 'I' : 'M');
        U16(2, 42);
        U32(4, 8);
        U16(8, 6);
        (ushort Tag, ushort Type, uint Value)[] entries =
            [(256, 4, width), (257, 4, height), (258, 3, 8), (262, 3, 1), (273, 4, (uint)(b.Length - 16)), (279, 4, 16)];
        for (var i = 0; i < entries.Length; i++)
        {
            var e = 10 + i * 12;
            U16(e, entries[i].Tag);
            U16(e + 2, entries[i].Type);
            U32(e + 4, 1);
            if (entries[i].Type == 3) U16(e + 8, (ushort)entries[i].Value); else U32(e + 8, entries[i].Value);
        }
        return b;
    }

    private static byte[] SunRaster(uint width, uint height)
    {
        var b = new byte[32 + 8];
        BinaryPrimitives.WriteUInt32BigEndian(b, 0x59A66A95);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), width);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), height);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(12), 8); // depth
        return b;
    }

    /// <summary>A J2K codestream start: SOC, SIZ with the image size and zero offsets.</summary>
    private static byte[] J2k(uint width, uint height)
    {
        var b = new byte[48];
        b[0] = 0xFF; b[1] = 0x4F; b[2] = 0xFF; b[3] = 0x51;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), 41);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), width);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(12), height);
        return b;
    }
}
