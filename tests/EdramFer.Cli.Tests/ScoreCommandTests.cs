using System.Diagnostics;
using System.Globalization;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;

namespace EdramFer.Cli.Tests;

/// <summary><c>edram score</c> in process (CommandAppTester); ScoreReliabilityTests runs the built tool as a process.</summary>
public class ScoreCommandTests
{
    internal static (int Code, string Output) Edram(string workingDirectory, params string[] args) => InProcessEdram.Run(workingDirectory, args);

    /// <summary>A CSV mixing good muxspace photos (relative paths), a corrupt file, a missing file, a face-less image and an empty path.</summary>
    private static string MixedCsv(string dir, int good)
    {
        Directory.CreateDirectory(Path.Combine(dir, "imgs"));
        File.WriteAllText(Path.Combine(dir, "imgs", "corrupt.jpg"), "not an image");
        const int side = 200; // a smooth gradient: no detector finds a face in it
        var pgm = new List<byte>(System.Text.Encoding.ASCII.GetBytes($"P5 {side} {side} 255\n"));
        for (var y = 0; y < side; y++) for (var x = 0; x < side; x++) pgm.Add((byte)((x + y) % 256));
        File.WriteAllBytes(Path.Combine(dir, "imgs", "noface.pgm"), pgm.ToArray());
        var lines = new List<string> { "path,label,note" };
        lines.AddRange(TestModels.Muxspace(good).Select((p, i) => $"{Path.GetRelativePath(dir, p)},happy,\"row {i}, quoted\""));
        lines.AddRange(["imgs/corrupt.jpg,sad,bad", "imgs/missing.jpg,sad,gone", "imgs/noface.pgm,neutral,synthetic", ",angry,empty"]);
        var csv = Path.Combine(dir, "in.csv");
        File.WriteAllLines(csv, lines);
        return csv;
    }

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        using var reader = new EdramFer.Cli.Scoring.CsvInput(path, "path");
        var rows = new List<Dictionary<string, string>>();
        while (reader.Next() is { } r) rows.Add(r.Fields.ToDictionary());
        return rows;
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void Score_MixedCsv_EveryRowPresentAndErrorsNamed()
    {
        var dir = TestModels.TempFolder("score-mixed");
        MixedCsv(dir, good: 6);
        var (code, output) = Edram(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "out.csv", "--batch-size", "4");
        Assert.True(code == 0, output);
        var rows = ReadCsv(Path.Combine(dir, "out.csv"));
        Assert.Equal(10, rows.Count);
        // The output schema every command shares (issue 13 item 7), then the input's own columns ("label" renamed: taken).
        Assert.Equal(["path", "status", "error", "face_count", "face_index", "face_x", "face_y", "face_width", "face_height", "detector",
            "detector_score", "label", .. TestModels.Labels.Select(l => "score_" + l), "valence", "arousal", "input_label", "note"],
            File.ReadLines(Path.Combine(dir, "out.csv")).First().Split(','));
        foreach (var good in rows.Take(6))
        {
            Assert.Contains(good["label"], TestModels.Labels);
            Assert.Equal("", good["error"]);
            Assert.Equal("ok", good["status"]);
            var sum = TestModels.Labels.Sum(l => double.Parse(good["score_" + l], CultureInfo.InvariantCulture));
            Assert.Equal(1.0, sum, 4);
        }
        Assert.Equal("row 0, quoted", rows[0]["note"]);
        Assert.Equal("happy", rows[0]["input_label"]);
        Assert.Contains("corrupt.jpg", rows[6]["error"]);
        Assert.Contains("missing.jpg: file not found", rows[7]["error"]);
        // No face: by default no label and no scores, status no_face (issue #13 item 4), and not counted as an error.
        Assert.Equal("no_face", rows[8]["status"]);
        Assert.Contains("no face found", rows[8]["error"]);
        Assert.Equal(("0", "", ""), (rows[8]["face_count"], rows[8]["face_index"], rows[8]["detector"]));
        Assert.Equal("", rows[8]["label"]);
        Assert.Contains("empty 'path'", rows[9]["error"]);
        Assert.Equal(["error", "error", "no_face", "error"], rows.Skip(6).Select(r => r["status"]));
        Assert.All(rows.Skip(6), r => Assert.Equal("", r["score_happy"]));
        Assert.Contains("3 with errors, 1 without a face", output);
        Assert.False(File.Exists(Path.Combine(dir, "out.csv.partial")));
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void Score_ResumeAfterInterruption_SameFileAsUninterruptedRun()
    {
        var dir = TestModels.TempFolder("score-resume");
        MixedCsv(dir, good: 30);
        string[] common = ["score", "--model", TestModels.Small, "--input", "in.csv", "--batch-size", "2"]; // chunks of 16 rows
        var (full, fullOut) = Edram(dir, [.. common, "--output", "full.csv"]);
        Assert.True(full == 0, fullOut);
        var (stopped, stoppedOut) = Edram(dir, [.. common, "--output", "resumed.csv", "--stop-after-chunks", "1"]);
        Assert.True(stopped == 2, stoppedOut);
        Assert.False(File.Exists(Path.Combine(dir, "resumed.csv")));
        File.AppendAllText(Path.Combine(dir, "resumed.csv.partial"), "half a row written when the process died,"); // torn write
        var (resumed, resumedOut) = Edram(dir, [.. common, "--output", "resumed.csv", "--resume"]);
        Assert.True(resumed == 0, resumedOut);
        Assert.Contains("resuming after row 16", resumedOut);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "full.csv")), File.ReadAllBytes(Path.Combine(dir, "resumed.csv")));
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void Pipeline_ThenScoreWithZip_SamePredictionsAsOnnx()
    {
        var dir = TestModels.TempFolder("score-zip");
        MixedCsv(dir, good: 4);
        var zip = Path.Combine(dir, "pipelines", "edram.zip");
        var (made, madeOut) = Edram(dir, "pipeline", "--model", TestModels.Small, "--output", zip);
        Assert.True(made == 0, madeOut);
        var (a, aOut) = Edram(dir, "score", "--model", zip, "--input", "in.csv", "--output", "zip.csv");
        Assert.True(a == 0, aOut);
        var (b, bOut) = Edram(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "onnx.csv");
        Assert.True(b == 0, bOut);
        var viaZip = ReadCsv(Path.Combine(dir, "zip.csv"));
        var viaOnnx = ReadCsv(Path.Combine(dir, "onnx.csv"));
        Assert.Equal(viaOnnx.Count, viaZip.Count);
        for (var i = 0; i < viaOnnx.Count; i++)
        {
            Assert.Equal(viaOnnx[i]["label"], viaZip[i]["label"]);
            Assert.Equal(viaOnnx[i]["error"] == "", viaZip[i]["error"] == "");
            Assert.Equal(viaOnnx[i]["status"], viaZip[i]["status"]);
            foreach (var l in TestModels.Labels)
            {
                var x = viaOnnx[i]["score_" + l];
                var y = viaZip[i]["score_" + l];
                Assert.Equal(x == "", y == "");
                if (x != "") Assert.Equal(double.Parse(x, CultureInfo.InvariantCulture), double.Parse(y, CultureInfo.InvariantCulture), 6);
            }
        }
    }

    [Theory]
    [InlineData("centre")]
    [InlineData("whole")]
    [InlineData("centre_crop")] // the metadata spelling of models exported before the names were unified
    public void Score_NoFaceWithExplicitFallback_ScoresTheCropAndSaysNoFaceWasFound(string policy)
    {
        var dir = TestModels.TempFolder("score-noface-" + policy);
        Directory.CreateDirectory(Path.Combine(dir, "imgs"));
        var pgm = new List<byte>(System.Text.Encoding.ASCII.GetBytes("P5 120 90 255\n"));
        for (var y = 0; y < 90; y++) for (var x = 0; x < 120; x++) pgm.Add((byte)((2 * x + y) % 256));
        File.WriteAllBytes(Path.Combine(dir, "imgs", "noface.pgm"), pgm.ToArray());
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path", "imgs/noface.pgm"]);
        var (code, output) = Edram(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "out.csv", "--no-face", policy);
        Assert.True(code == 0, output);
        var row = Assert.Single(ReadCsv(Path.Combine(dir, "out.csv")));
        Assert.Equal("ok", row["status"]);
        Assert.Equal(("0", "", ""), (row["face_count"], row["face_index"], row["detector"])); // scored, but no detector found a face
        Assert.Contains(row["label"], TestModels.Labels);
        Assert.Equal("", row["error"]);
    }

    /// <summary>--min-confidence: a face whose top probability is below it is uncertain, with its scores and no label.</summary>
    [Fact]
    public void Score_MinConfidence_LowTopProbabilityUncertainWithScoresNoLabel()
    {
        var dir = TestModels.TempFolder("score-uncertain");
        ScoreReliabilityTests.SyntheticCsv(dir, 32);
        string[] Args(string output, params string[] more) =>
            ["score", "--model", TestModels.Small, "--input", "in.csv", "--output", output, "--detector", "none", .. more];
        List<float> Top(List<Dictionary<string, string>> rows) =>
            rows.Select(r => TestModels.Labels.Max(l => float.Parse(r["score_" + l], System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(0, Edram(dir, Args("all.csv")).Code);
        var plain = ReadCsv(Path.Combine(dir, "all.csv"));
        var threshold = Top(plain).Order().ElementAt(16); // the median: half the rows below it
        var (code, output) = Edram(dir, Args("out.csv", "--min-confidence", threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(code == 0, output);
        var rows = ReadCsv(Path.Combine(dir, "out.csv"));
        var top = Top(rows);
        Assert.Equal(Top(plain), top); // the scores are kept
        foreach (var (row, (p, before)) in rows.Zip(top.Zip(plain)))
            Assert.Equal(p < threshold ? ("uncertain", "") : ("ok", before["label"]), (row["status"], row["label"]));
        Assert.Equal(16, rows.Count(r => r["status"] == "uncertain"));
        Assert.Contains("16 uncertain", System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));
    }

    /// <summary>--align eyes crops the same detected faces differently (eye-aligned), so the scores change; boxes stay.</summary>
    [SharedDataFact("muxspace_facial_expressions/images")]
    public void Score_AlignEyes_SameFacesOtherCrops()
    {
        var dir = TestModels.TempFolder("score-align");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path", .. TestModels.Muxspace(4)]);
        string[] Args(string output, string align) =>
            ["score", "--model", TestModels.Small, "--input", "in.csv", "--output", output, "--detector", "yunet", "--align", align];
        Assert.Equal(0, Edram(dir, Args("none.csv", "none")).Code);
        Assert.Equal(0, Edram(dir, Args("eyes.csv", "eyes")).Code);
        var (none, eyes) = (ReadCsv(Path.Combine(dir, "none.csv")), ReadCsv(Path.Combine(dir, "eyes.csv")));
        Assert.All(none.Zip(eyes), p => Assert.Equal((p.First["face_x"], p.First["face_width"]), (p.Second["face_x"], p.Second["face_width"])));
        Assert.Contains(none.Zip(eyes), p => p.First["score_happy"] != p.Second["score_happy"]);
        var (code, output) = Edram(dir, Args("bad.csv", "sideways"));
        Assert.Equal(1, code);
        Assert.Contains("--align must be none or eyes, got 'sideways'", output);
    }

    [Fact]
    public void Score_NoFacePolicyOutsideTheVocabulary_ExitsOneListingTheNames()
    {
        var (code, output) = Edram(TestModels.TempFolder("score-noface-bad"), "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "out.csv", "--no-face", "middle");
        Assert.Equal(1, code);
        Assert.Contains("Unknown --no-face policy 'middle': expected centre, whole, reject.", output);
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void Score_FacesAll_GroupPhoto_OneRowPerFaceWithBoxesAndTheRowsOwnColumns()
    {
        var dir = TestModels.TempFolder("score-group");
        GroupPhoto.Write(Path.Combine(dir, "group.png"));
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path,note", "group.png,team", "missing.png,gone"]);
        var (code, output) = Edram(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "all.csv", "--faces", "all");
        Assert.True(code == 0, output);
        var rows = ReadCsv(Path.Combine(dir, "all.csv"));
        Assert.Equal(GroupPhoto.Faces.Length + 1, rows.Count);
        for (var i = 0; i < GroupPhoto.Faces.Length; i++)
        {
            var r = rows[i];
            Assert.Equal(("group.png", "ok", "team", "yunet"), (r["path"], r["status"], r["note"], r["detector"]));
            Assert.Equal(("4", i.ToString(CultureInfo.InvariantCulture)), (r["face_count"], r["face_index"]));
            var box = new OpenCvSharp.Rect(int.Parse(r["face_x"]), int.Parse(r["face_y"]), int.Parse(r["face_width"]), int.Parse(r["face_height"]));
            Assert.True(GroupPhoto.IoU(box, GroupPhoto.Faces[i]) >= 0.5, $"row {i}: {box} vs {GroupPhoto.Faces[i]}");
            Assert.InRange(double.Parse(r["detector_score"], CultureInfo.InvariantCulture), 0.5, 1);
            Assert.Contains(r["label"], TestModels.Labels);
        }
        Assert.Equal(("missing.png", "error", "gone"), (rows[^1]["path"], rows[^1]["status"], rows[^1]["note"]));
        Assert.Contains("5 face rows of 2 rows", System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));

        var (two, twoOut) = Edram(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "two.csv", "--faces", "all", "--max-faces", "2",
            "--landmarks");
        Assert.True(two == 0, twoOut);
        var twoRows = ReadCsv(Path.Combine(dir, "two.csv"));
        Assert.Equal(["0", "1", ""], twoRows.Select(r => r["face_index"]));
        foreach (var (r, i) in twoRows.Take(2).Select((r, i) => (r, i)))
        {
            var eye = (X: double.Parse(r["landmark_right_eye_x"], CultureInfo.InvariantCulture), Y: double.Parse(r["landmark_right_eye_y"], CultureInfo.InvariantCulture));
            Assert.True(GroupPhoto.Faces[i].Contains((int)eye.X, (int)eye.Y), $"face {i}: right eye {eye} outside the annotated face {GroupPhoto.Faces[i]}");
        }
        Assert.Equal("", twoRows[2]["landmark_nose_x"]); // the missing image: no face, no points
        var (one, oneOut) = Edram(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "one.csv");
        Assert.True(one == 0, oneOut);
        var largest = ReadCsv(Path.Combine(dir, "one.csv"));
        Assert.Equal(2, largest.Count);
        Assert.Equal(rows[0].Where(kv => kv.Key != "note"), largest[0].Where(kv => kv.Key != "note"));
    }

    [Fact]
    public void Score_FacesAllWithPipelineZip_RefusedBeforeScoring()
    {
        var dir = TestModels.TempFolder("score-faces-zip");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path", "a.png"]);
        var (code, output) = Edram(dir, "score", "--model", "x.zip", "--input", "in.csv", "--output", "out.csv", "--faces", "all");
        Assert.Equal(1, code);
        Assert.Contains("--faces all needs an .onnx model", output);
    }

    [Fact]
    public void Score_ImageColumnMissing_FailsWithExitCode1NamingColumns()
    {
        var dir = TestModels.TempFolder("score-badcol");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["file,label", "a.jpg,happy"]);
        var (code, output) = Edram(dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "out.csv");
        Assert.Equal(1, code);
        Assert.Contains("no column 'path' (columns: file, label)", System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));
    }
}
