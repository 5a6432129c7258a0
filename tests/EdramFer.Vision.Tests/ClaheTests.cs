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

    /// <summary>Output values per input value (a global mapping has one each).</summary>
    private static Dictionary<byte, HashSet<byte>> Outputs(byte[] input, byte[] output)
    {
        var map = new Dictionary<byte, HashSet<byte>>();
        for (var i = 0; i < input.Length; i++)
            (map.TryGetValue(input[i], out var set) ? set : map[input[i]] = []).Add(output[i]);
        return map;
    }

    /// <summary>
    /// The clip limit bounds the slope of the grey-level mapping: a tile's histogram bin holds at most clip · N / 256
    /// pixels plus the redistributed excess (at most N / 256), so one grey level more in gains at most clip + 1 out.
    /// On this low-contrast face the limit binds: the steepest step is near it, and steeper with the higher limit.
    /// </summary>
    [Fact]
    public void Apply_OneTile_MappingSlopeIsBoundedByTheClipLimitAndReachesIt()
    {
        var input = LowContrastFace();
        double Steepest(double clip)
        {
            var map = Outputs(input, Clahe.Apply(input, 100, clip, 1));
            Assert.All(map.Values, outs => Assert.Single(outs)); // one tile: one mapping for the whole image
            var points = map.OrderBy(kv => kv.Key).Select(kv => (In: (double)kv.Key, Out: (double)kv.Value.Single())).ToList();
            return points.Zip(points.Skip(1), (a, b) => (b.Out - a.Out) / (b.In - a.In)).Max();
        }
        double two = Steepest(2.0), four = Steepest(4.0);
        Assert.InRange(two, 1.5, 3.0);
        Assert.InRange(four, 3.0, 5.0);
    }

    /// <summary>With a grid of tiles the mapping is local: the same grey level comes out differently in different tiles.</summary>
    [Fact]
    public void Apply_EightByEightTiles_SameGreyLevelMappedDifferentlyByPlace()
    {
        var input = LowContrastFace();
        var map = Outputs(input, Clahe.Apply(input, 100, 2.0, 8));
        Assert.Contains(map.Values, outs => outs.Count >= 3);
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
