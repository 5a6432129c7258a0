namespace EdramFer.Vision.Tests;

public sealed class ClaheTests
{
    /// <summary>A 100x100 low-contrast "face": a soft blob and features with ±6 grey levels around 120.</summary>
    private static byte[] LowContrastFace()
    {
        var p = new byte[100 * 100];
        for (var y = 0; y < 100; y++)
        for (var x = 0; x < 100; x++)
        {
            double dx = (x - 50) / 35.0, dy = (y - 50) / 45.0;
            var v = 120 + (dx * dx + dy * dy < 1 ? 4 : 0);
            if ((Math.Abs(x - 35) < 6 || Math.Abs(x - 65) < 6) && Math.Abs(y - 40) < 3) v -= 6; // eyes
            if (Math.Abs(x - 50) < 12 && Math.Abs(y - 72) < 2) v -= 5;                              // mouth
            v += ((x * 7 + y * 13) % 5) - 2;                                                          // texture
            p[y * 100 + x] = (byte)v;
        }
        return p;
    }

    /// <summary>Mean standard deviation over the 10x10 blocks: local contrast.</summary>
    private static double MeanBlockStd(byte[] p)
    {
        var total = 0.0;
        for (var by = 0; by < 10; by++)
        for (var bx = 0; bx < 10; bx++)
        {
            double s = 0, s2 = 0;
            for (var y = by * 10; y < by * 10 + 10; y++)
            for (var x = bx * 10; x < bx * 10 + 10; x++) { s += p[y * 100 + x]; s2 += p[y * 100 + x] * (double)p[y * 100 + x]; }
            var mean = s / 100;
            total += Math.Sqrt(Math.Max(0, s2 / 100 - mean * mean));
        }
        return total / 100;
    }

    [Fact]
    public void Apply_LowContrastFace_IncreasesLocalContrast()
    {
        var input = LowContrastFace();

        var output = Clahe.Apply(input, 100, 2.0, 8);

        var before = MeanBlockStd(input);
        var after = MeanBlockStd(output);
        Assert.True(after > 1.5 * before, $"local contrast {before:F2} → {after:F2}, expected at least 1.5x");
    }

    [Fact]
    public void Apply_DifferentClipLimit_DifferentOutput()
    {
        var input = LowContrastFace();

        Assert.NotEqual(Clahe.Apply(input, 100, 2.0, 8), Clahe.Apply(input, 100, 4.0, 8));
    }

    [Fact]
    public void Apply_DifferentTileGrid_DifferentOutput()
    {
        var input = LowContrastFace();

        Assert.NotEqual(Clahe.Apply(input, 100, 2.0, 8), Clahe.Apply(input, 100, 2.0, 4));
    }

    [Fact]
    public void Apply_SameInputTwice_SameBytes()
    {
        var input = LowContrastFace();

        Assert.Equal(Clahe.Apply(input, 100, 2.0, 8), Clahe.Apply(input, 100, 2.0, 8));
    }

    [Fact]
    public void Apply_ClipLimitZero_ReturnsUnchangedCopy()
    {
        var input = LowContrastFace();

        var output = Clahe.Apply(input, 100, 0, 8);

        Assert.Equal(input, output);
        Assert.NotSame(input, output);
    }

    [Fact]
    public void Apply_WrongLength_ThrowsWithSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => Clahe.Apply(new byte[99], 10, 2.0, 8));

        Assert.Contains("expected 10x10 = 100", e.Message);
    }
}
