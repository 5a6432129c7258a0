using System.Diagnostics;
using OpenCvSharp;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;

namespace EdramFer.Cli.Tests;

/// <summary>
/// Issue #14's defects of <c>score</c> and <c>evaluate</c>, each reproduced with the built <c>edram</c> as a real
/// process (real signals, a real second process, real files); every test says what happened before the fix.
/// </summary>
public class ScoreReliabilityTests
{
    /// <summary>A CSV of <paramref name="rows"/> rows over 16 distinct synthetic PGM images (scored whole with --detector none).</summary>
    internal static string SyntheticCsv(string dir, int rows, string extraHeader = "", Func<int, string>? extra = null)
    {
        Directory.CreateDirectory(Path.Combine(dir, "imgs"));
        const int side = 48;
        for (var i = 0; i < 16; i++)
        {
            var pgm = new List<byte>(System.Text.Encoding.ASCII.GetBytes($"P5 {side} {side} 255\n"));
            for (var y = 0; y < side; y++) for (var x = 0; x < side; x++) pgm.Add((byte)((x * (i + 1) + y * 3 + i * 17) % 256));
            File.WriteAllBytes(Path.Combine(dir, "imgs", $"g{i}.pgm"), pgm.ToArray());
        }
        var lines = new List<string> { "path" + extraHeader };
        lines.AddRange(Enumerable.Range(0, rows).Select(r => $"imgs/g{r % 16}.pgm" + (extra?.Invoke(r) ?? "")));
        File.WriteAllLines(Path.Combine(dir, "in.csv"), lines);
        return Path.Combine(dir, "in.csv");
    }

    private static string[] Score(string output, params string[] more) =>
        ["score", "--model", TestModels.Small, "--input", "in.csv", "--output", output, "--detector", "none", .. more];

    private static List<string> Lines(string path) => File.ReadAllLines(path).ToList();

    // Before the fix: SIGTERM and SIGHUP killed score at once (exit 143 / 129, no message); only Ctrl-C was handled.
    [Theory]
    [InlineData(EdramProcess.SIGTERM, "SIGTERM")]
    [InlineData(EdramProcess.SIGHUP, "SIGHUP")]
    [InlineData(EdramProcess.SIGINT, "SIGINT")]
    public void Score_Signal_StateSavedExitTwoThenResumeCompletes(int signal, string name)
    {
        var dir = TestModels.TempFolder("score-signal");
        // Enough rows that the run is still scoring when the signal arrives, however fast this machine scores.
        SyntheticCsv(dir, 4000);
        using (var run = new EdramProcess(dir, Score("out.csv", "--batch-size", "1")))
        {
            Assert.True(run.WaitForFile(Path.Combine(dir, "out.csv.partial.json")), "no chunk was saved");
            run.Signal(signal);
            var (code, output) = run.Wait();
            Assert.True(code == 2, output);
            Assert.Contains($"Interrupted by {name} after", Flat(output));
            Assert.Contains("Run again with --resume", Flat(output));
        }
        Assert.False(File.Exists(Path.Combine(dir, "out.csv")));
        Assert.True(File.Exists(Path.Combine(dir, "out.csv.partial")));
        var (resumed, resumedOut) = EdramCli.Run(dir, Score("out.csv", "--batch-size", "1", "--resume"));
        Assert.True(resumed == 0, resumedOut);
        var rows = Lines(Path.Combine(dir, "out.csv"));
        Assert.Equal(4001, rows.Count);
        Assert.Equal(Enumerable.Range(0, 4000).Select(r => $"imgs/g{r % 16}.pgm"), rows.Skip(1).Select(l => l.Split(',')[0]));
    }

    // Before the fix: evaluate died on SIGTERM with exit 143 and no message.
    [Fact]
    public void Evaluate_Sigterm_ExitTwoNoReport()
    {
        var dir = TestModels.TempFolder("evaluate-signal");
        SyntheticCsv(dir, 400, ",label", r => "," + TestModels.Labels[r % 7]);
        using var run = new EdramProcess(dir, "evaluate", "--model", TestModels.Small, "--input", "in.csv", "--detector", "none",
            "--batch-size", "1", "--report", "metrics.json");
        Assert.True(run.WaitForOutput("Evaluating 400 rows"), "evaluate did not start scoring");
        run.Signal(EdramProcess.SIGTERM);
        var (code, output) = run.Wait();
        Assert.True(code == 2, output);
        Assert.Contains("Interrupted by SIGTERM", Flat(output));
        Assert.False(File.Exists(Path.Combine(dir, "metrics.json")));
    }

    // Before the fix: both runs wrote out.csv.partial; the first said "Wrote 3,000 rows" over the second run's rows.
    [Fact]
    public void Score_SecondRunOnSameOutput_FailsAtOnceFirstUnharmed()
    {
        var dir = TestModels.TempFolder("score-lock");
        SyntheticCsv(dir, 2400); // the first run must still hold the output when the second starts

        using var first = new EdramProcess(dir, Score("out.csv", "--batch-size", "1"));
        Assert.True(first.WaitForFile(Path.Combine(dir, "out.csv.partial.json")), "the first run saved no chunk");
        var watch = Stopwatch.StartNew();
        var (code, output) = EdramCli.Run(dir, Score("out.csv"));
        Assert.True(code == 1, output);
        Assert.Contains("is in use by another edram run", Flat(output));
        Assert.DoesNotContain("Scoring", output); // refused before the model was opened
        var (firstCode, firstOut) = first.Wait();
        Assert.True(firstCode == 0, firstOut);
        Assert.Equal(2401, Lines(Path.Combine(dir, "out.csv")).Count);
        Assert.All(new[] { ".lock", ".partial", ".partial.json" }, suffix => Assert.False(File.Exists(Path.Combine(dir, "out.csv" + suffix)), suffix));
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2));
    }

    // Before the fix: --output equal to --input replaced the input with the predictions.
    [Fact]
    public void Score_OutputIsInput_RefusedInputUntouched()
    {
        var dir = TestModels.TempFolder("score-same");
        var input = SyntheticCsv(dir, 3);
        var before = File.ReadAllBytes(input);
        var (code, output) = EdramCli.Run(dir, Score("./in.csv"));
        Assert.True(code == 1, output);
        Assert.Contains("--output './in.csv' is the input CSV", Flat(output));
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    // Before the fix: an output path that is a folder failed only after every row had been scored.
    [Fact]
    public void Score_OutputIsFolder_RefusedBeforeFirstRow()
    {
        var dir = TestModels.TempFolder("score-folder");
        SyntheticCsv(dir, 3);
        Directory.CreateDirectory(Path.Combine(dir, "out"));
        var (code, output) = EdramCli.Run(dir, Score("out"));
        Assert.True(code == 1, output);
        Assert.Contains("--output 'out' is a folder", Flat(output));
        Assert.DoesNotContain("Scoring", output);
        Assert.False(File.Exists(Path.Combine(dir, "out.partial")));
    }

    // Before the fix: two swapped rows (same size, same mtime) resumed with exit 0 and rows that no longer matched the input.
    [Fact]
    public void Score_ResumeAfterScoredRowsSwapped_Refused()
    {
        var dir = TestModels.TempFolder("score-swap");
        var input = SyntheticCsv(dir, 40);
        var (stopped, stoppedOut) = EdramCli.Run(dir, Score("out.csv", "--batch-size", "1", "--stop-after-chunks", "1"));
        Assert.True(stopped == 2, stoppedOut);
        var mtime = File.GetLastWriteTimeUtc(input);
        var lines = Lines(input);
        (lines[1], lines[2]) = (lines[2], lines[1]); // both within the first chunk of 8 rows
        File.WriteAllLines(input, lines);
        File.SetLastWriteTimeUtc(input, mtime);
        var (code, output) = EdramCli.Run(dir, Score("out.csv", "--batch-size", "1", "--resume"));
        Assert.True(code == 1, output);
        Assert.Contains("changed since the interrupted run", System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));
        Assert.False(File.Exists(Path.Combine(dir, "out.csv")));
    }

    // Before the fix: unknown options were ignored, exit 0, scored with the default detector and batch size.
    [Fact]
    public void Score_MistypedOptions_ExitOneNamingItAndSuggesting()
    {
        var dir = TestModels.TempFolder("score-typo");
        SyntheticCsv(dir, 3);
        var (code, output) = EdramCli.Run(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "out.csv",
            "--detecor", "none", "--batchsize", "3");
        Assert.Equal(1, code);
        Assert.Contains("Unknown option 'detecor'", Flat(output));
        Assert.Contains("Did you mean '--detector'?", Flat(output));
        Assert.False(File.Exists(Path.Combine(dir, "out.csv")));
    }

    // Before the fix: exit 255 with "Failed to open a zip archive" and no file named.
    [Fact]
    public void Score_CorruptZipModel_ExitOneNamingFile()
    {
        var dir = TestModels.TempFolder("score-badzip");
        SyntheticCsv(dir, 3);
        File.WriteAllText(Path.Combine(dir, "broken.zip"), "not a zip archive");
        var (code, output) = EdramCli.Run(dir, "score", "--model", "broken.zip", "--input", "in.csv", "--output", "out.csv");
        Assert.True(code == 1, output);
        var flat = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        Assert.Contains($"'{Path.Combine(dir, "broken.zip")}' is not a readable ML.NET pipeline zip", flat);
    }

    // Before the fix: a tampered or replaced model gave "Splitter/consolidator worker encountered exception", and a
    // model path pointing at /dev/zero hung forever (the hash read never ended).
    [Fact]
    public void Score_ZipWhoseModelWasChanged_RealReasonNamed()
    {
        var dir = TestModels.TempFolder("score-zip-model");
        SyntheticCsv(dir, 3);
        var model = Path.Combine(dir, "model.onnx");
        File.Copy(TestModels.Small, model);
        var (made, madeOut) = EdramCli.Run(dir, "pipeline", "--model", model, "--output", "p.zip");
        Assert.True(made == 0, madeOut);
        string[] score = ["score", "--model", "p.zip", "--input", "in.csv", "--output", "out.csv"];

        var bytes = File.ReadAllBytes(model);
        bytes[bytes.Length / 2] ^= 0xFF; // tampered
        File.WriteAllBytes(model, bytes);
        var (tampered, tamperedOut) = EdramCli.Run(dir, score);
        Assert.True(tampered == 1, tamperedOut);
        Assert.Contains("but the pipeline was built with", Flat(tamperedOut));
        Assert.DoesNotContain("worker encountered", tamperedOut);

        File.Copy(TestModels.SmallValenceArousal, model, overwrite: true); // another valid model
        var (replaced, replacedOut) = EdramCli.Run(dir, score);
        Assert.True(replaced == 1, replacedOut);
        Assert.Contains("a different model file", Flat(replacedOut));

        File.Delete(model);
        File.CreateSymbolicLink(model, "/dev/zero");
        var watch = Stopwatch.StartNew();
        var (device, deviceOut) = EdramCli.Run(dir, score);
        Assert.True(device == 1, deviceOut);
        Assert.Contains("is a character device, not a regular file", Flat(deviceOut));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
        Assert.False(File.Exists(Path.Combine(dir, "out.csv")));
    }

    // Before the fix: one of several faces was picked silently, and nothing said which or how many there were.
    [SharedDataFact("muxspace_facial_expressions/images")]
    public void Score_TwoFacesInEitherOrder_LargestChosenCountAndBoxReported()
    {
        var dir = TestModels.TempFolder("score-faces");
        using var face = Cv2.ImRead(TestModels.Muxspace(1)[0]);
        using var small = face.Resize(new Size(face.Width * 2 / 3, face.Height * 2 / 3));
        foreach (var (name, bigFirst) in new[] { ("big-left.png", true), ("big-right.png", false) })
        {
            using var canvas = new Mat(face.Height, face.Width + small.Width, face.Type(), Scalar.All(128));
            face.CopyTo(canvas[new Rect(bigFirst ? 0 : small.Width, 0, face.Width, face.Height)]);
            small.CopyTo(canvas[new Rect(bigFirst ? face.Width : 0, 0, small.Width, small.Height)]);
            Cv2.ImWrite(Path.Combine(dir, name), canvas);
        }
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path", "big-left.png", "big-right.png"]);
        var (code, output) = EdramCli.Run(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "out.csv", "--detector", "haar");
        Assert.True(code == 0, output);
        var rows = Lines(Path.Combine(dir, "out.csv"));
        var header = rows[0].Split(',').ToList();
        string Field(int row, string column) => rows[row].Split(',')[header.IndexOf(column)];
        int Int(int row, string column) => int.Parse(Field(row, column), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("2", Field(1, "face_count"));
        Assert.Equal("2", Field(2, "face_count"));
        Assert.True(Int(1, "face_x") < face.Width && Int(1, "face_x") + Int(1, "face_width") <= face.Width, rows[1]);  // the big face, on the left
        Assert.True(Int(2, "face_x") >= small.Width, rows[2]);                                                      // the big face, on the right
        // The same (big) face in both layouts; Haar's box differs by a few pixels with its position in the image.
        Assert.InRange(Int(2, "face_width"), Int(1, "face_width") * 0.95, Int(1, "face_width") * 1.05);
    }

    private static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
}
