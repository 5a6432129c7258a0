using EdramFer.ML.Tests;

namespace EdramFer.Cli.Tests;

/// <summary>
/// <c>edram score --shard K/N</c> and <c>edram merge</c>: the merge of the shards is byte for byte the output of one run,
/// an interrupted shard resumes into the same merge, and a merge refuses a missing, overlapping, truncated or foreign
/// shard, naming it.
/// </summary>
public class ShardTests
{
    private const int Rows = 203; // not a multiple of 4: the slices differ in size (50, 51, 51, 51)

    private static (int Code, string Output) Edram(string dir, params string[] args) => InProcessEdram.Run(dir, args);

    private static string[] Score(string output, string model, params string[] more) =>
        ["score", "--model", model, "--input", "in.csv", "--output", output, "--detector", "none", "--batch-size", "4", .. more];

    private static string Folder(string name)
    {
        var dir = TestModels.TempFolder(name);
        ScoreReliabilityTests.SyntheticCsv(dir, Rows);
        return dir;
    }

    private static void ScoreShards(string dir, string extension, int count = 4)
    {
        for (var k = 0; k < count; k++)
        {
            var (code, output) = Edram(dir, Score($"s{k}{extension}", TestModels.Small, "--shard", $"{k}/{count}"));
            Assert.True(code == 0, output);
        }
    }

    [Theory]
    [InlineData(".csv")]
    [InlineData(".jsonl")]
    public void Merge_FourShards_ByteIdenticalToOneRun(string extension)
    {
        var dir = Folder("shards" + extension.TrimStart('.'));
        Assert.Equal(0, Edram(dir, Score("one" + extension, TestModels.Small)).Code);
        ScoreShards(dir, extension);
        var (code, output) = Edram(dir, ["merge", "--output", "merged" + extension, .. Enumerable.Range(0, 4).Reverse().Select(k => $"s{k}{extension}")]);
        Assert.True(code == 0, output);
        Assert.Contains($"Merged 4 shards ({Rows} input rows)", output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "one" + extension)), File.ReadAllBytes(Path.Combine(dir, "merged" + extension)));
        // Each shard holds its slice only: rows [k·203/4, (k+1)·203/4).
        var lines = File.ReadAllLines(Path.Combine(dir, "s0" + extension)).Length;
        Assert.Equal(50, extension == ".csv" ? lines - 1 : lines); // the CSV has a header, JSON Lines none
    }

    [Fact]
    public void Merge_ShardInterruptedThenResumed_RefusedUntilFinishedThenIdentical()
    {
        var dir = Folder("shards-resume");
        Assert.Equal(0, Edram(dir, Score("one.csv", TestModels.Small)).Code);
        ScoreShards(dir, ".csv");
        File.Delete(Path.Combine(dir, "s2.csv"));
        File.Delete(Path.Combine(dir, "s2.csv.shard.json"));
        Assert.Equal(2, Edram(dir, Score("s2.csv", TestModels.Small, "--shard", "2/4", "--stop-after-chunks", "1")).Code);

        var (refused, why) = Edram(dir, "merge", "--output", "merged.csv", "s0.csv", "s1.csv", "s3.csv");
        Assert.Equal(1, refused);
        Assert.Contains("shard 2/4 missing (given: 0/4, 1/4, 3/4)", why);

        var (resumed, output) = Edram(dir, Score("s2.csv", TestModels.Small, "--shard", "2/4", "--resume"));
        Assert.True(resumed == 0, output);
        Assert.Contains("resuming after row 32", output);
        Assert.Equal(0, Edram(dir, "merge", "--output", "merged.csv", "s0.csv", "s1.csv", "s2.csv", "s3.csv").Code);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "one.csv")), File.ReadAllBytes(Path.Combine(dir, "merged.csv")));
    }

    [Fact]
    public void Merge_BadShards_EachRefusedNamingTheShard()
    {
        var dir = Folder("shards-bad");
        ScoreShards(dir, ".csv");
        (int Code, string Output) Merge(params string[] shards) => Edram(dir, ["merge", "--output", "merged.csv", .. shards]);

        var overlap = Merge("s0.csv", "s1.csv", "s2.csv", "s3.csv", "s1.csv");
        Assert.Equal(1, overlap.Code);
        Assert.Contains("are both shard 1/4: overlapping rows", overlap.Output);

        File.Copy(Path.Combine(dir, "s2.csv"), Path.Combine(dir, "s2-intact.csv"));
        using (var f = File.OpenWrite(Path.Combine(dir, "s2.csv"))) f.SetLength(f.Length - 10);
        var truncated = Merge("s0.csv", "s1.csv", "s2.csv", "s3.csv");
        Assert.Equal(1, truncated.Code);
        Assert.Contains("s2.csv' is not the file shard 2/4 finished as", truncated.Output);
        File.Copy(Path.Combine(dir, "s2-intact.csv"), Path.Combine(dir, "s2.csv"), overwrite: true);

        Assert.Equal(0, Edram(dir, Score("s3.csv", TestModels.SmallValenceArousal, "--shard", "3/4")).Code);
        var foreign = Merge("s0.csv", "s1.csv", "s2.csv", "s3.csv");
        Assert.Equal(1, foreign.Code);
        Assert.Contains("s3.csv' was scored with another model or other options", foreign.Output);

        var unfinished = Merge("s0.csv", "in.csv");
        Assert.Equal(1, unfinished.Code);
        Assert.Contains("in.csv' has no in.csv.shard.json: not a finished shard", unfinished.Output);
        Assert.False(File.Exists(Path.Combine(dir, "merged.csv")));
    }

    [Theory]
    [InlineData("4/4")]
    [InlineData("-1/4")]
    [InlineData("1")]
    public void Score_ShardOutsideRange_ExitsOneNamingTheForm(string shard)
    {
        var (code, output) = Edram(Folder("shards-arg"), Score("s.csv", TestModels.Small, "--shard", shard));
        Assert.Equal(1, code);
        Assert.Contains("--shard must be K/N with 0 ≤ K < N", output);
    }
}
