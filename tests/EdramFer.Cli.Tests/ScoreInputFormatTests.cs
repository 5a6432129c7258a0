using System.Text.Json;
using EdramFer.ML.Tests;

namespace EdramFer.Cli.Tests;

/// <summary><c>edram score</c> on a folder or one image file instead of a CSV, and JSON Lines output (issue 13 item 7).</summary>
public class ScoreInputFormatTests
{
    private static (int Code, string Output) Edram(string dir, params string[] args) => ScoreCommandTests.Edram(dir, args);

    /// <summary>A folder of face-less gradients (valid images, status no_face by default) in two levels, and files that are not images.</summary>
    private static string[] WriteFolder(string dir, int count)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var rel = Path.Combine("photos", i % 2 == 0 ? "" : "sub", $"g{i:D2}.pgm");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, rel))!);
            var pgm = new List<byte>(System.Text.Encoding.ASCII.GetBytes("P5 64 48 255\n"));
            for (var p = 0; p < 64 * 48; p++) pgm.Add((byte)((p * (i + 1)) % 251));
            File.WriteAllBytes(Path.Combine(dir, rel), pgm.ToArray());
            names.Add(rel);
        }
        File.WriteAllText(Path.Combine(dir, "photos", "notes.txt"), "not an image");
        return names.Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public void Score_FolderToJsonLines_EveryImageRecursivelyInOrderWithTypedValues()
    {
        var dir = TestModels.TempFolder("score-folder");
        var images = WriteFolder(dir, 5);
        var (code, output) = Edram(dir, "score", "--model", TestModels.Small, "--input", "photos", "--output", "out.jsonl", "--no-face", "centre");
        Assert.True(code == 0, output);
        var lines = File.ReadAllLines(Path.Combine(dir, "out.jsonl"));
        Assert.Equal(images, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()));
        foreach (var line in lines)
        {
            var row = JsonDocument.Parse(line).RootElement;
            Assert.Equal("ok", row.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Number, row.GetProperty("score_happy").ValueKind);
            Assert.Equal(0, row.GetProperty("face_count").GetInt32());
            Assert.Equal(JsonValueKind.Null, row.GetProperty("face_x").ValueKind);
            Assert.Equal(JsonValueKind.Null, row.GetProperty("valence").ValueKind); // the random model's head is untrained
            var sum = TestModels.Labels.Sum(l => row.GetProperty("score_" + l).GetDouble());
            Assert.Equal(1.0, sum, 4);
        }
        Assert.False(File.Exists(Path.Combine(dir, "out.jsonl.inputs.csv")));
    }

    [Fact]
    public void Score_OneImageFile_OneRow_AndAnEmptyFolderIsAnError()
    {
        var dir = TestModels.TempFolder("score-file");
        var images = WriteFolder(dir, 1);
        var (code, output) = Edram(dir, "score", "--model", TestModels.Small, "--input", images[0], "--output", "one.csv", "--format", "csv");
        Assert.True(code == 0, output);
        var lines = File.ReadAllLines(Path.Combine(dir, "one.csv"));
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"{images[0]},no_face,", lines[1]);

        Directory.CreateDirectory(Path.Combine(dir, "empty"));
        var (empty, emptyOut) = Edram(dir, "score", "--model", TestModels.Small, "--input", "empty", "--output", "none.csv");
        Assert.Equal(1, empty);
        Assert.Contains("holds no image files", emptyOut);
    }

    [Fact]
    public void Score_FolderInterruptedThenResumed_SameBytesAsUninterrupted()
    {
        var dir = TestModels.TempFolder("score-folder-resume");
        WriteFolder(dir, 12);
        string[] common = ["score", "--model", TestModels.Small, "--input", "photos", "--batch-size", "1"]; // chunks of 8 images
        var (full, fullOut) = Edram(dir, [.. common, "--output", "full.jsonl"]);
        Assert.True(full == 0, fullOut);
        var (stopped, stoppedOut) = Edram(dir, [.. common, "--output", "resumed.jsonl", "--stop-after-chunks", "1"]);
        Assert.True(stopped == 2, stoppedOut);
        var (resumed, resumedOut) = Edram(dir, [.. common, "--output", "resumed.jsonl", "--resume"]);
        Assert.True(resumed == 0, resumedOut);
        Assert.Contains("resuming after row 8", resumedOut);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "full.jsonl")), File.ReadAllBytes(Path.Combine(dir, "resumed.jsonl")));
        Assert.Equal(12, File.ReadAllLines(Path.Combine(dir, "full.jsonl")).Length);
    }

    [Fact]
    public void Score_UnknownFormat_RefusedNamingTheChoices()
    {
        var dir = TestModels.TempFolder("score-format");
        var (code, output) = Edram(dir, "score", "--model", TestModels.Small, "--input", "x.csv", "--output", "o.csv", "--format", "xml");
        Assert.Equal(1, code);
        Assert.Contains("--format must be csv or jsonl", output);
    }
}
