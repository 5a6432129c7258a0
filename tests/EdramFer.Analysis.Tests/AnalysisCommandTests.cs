using EdramFer.ML;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EdramFer.Cli.Scoring;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;
using OpenCvSharp;

namespace EdramFer.Analysis.Tests;

/// <summary>Runs <c>edram heatmap</c> and <c>edram scanpath</c> (edram.dll next to the tests) on a random-weights model.</summary>
public class AnalysisCommandTests
{
    private const int Steps = 2; // TestModels.Small

    private static (int Code, string Output) Edram(string workingDirectory, params string[] args) => EdramCli.Run(workingDirectory, args);

    /// <summary>A face-like synthetic image: a bright ellipse, two dark eyes and a mouth whose shape depends on <paramref name="seed"/>.</summary>
    internal static string SyntheticFace(string dir, string name, int seed)
    {
        var random = new Random(seed);
        using var image = new Mat(new Size(120, 120), MatType.CV_8UC3, Scalar.All(40 + random.Next(40)));
        Cv2.Ellipse(image, new Point(60, 62), new Size(40, 52), 0, 0, 360, Scalar.All(170 + random.Next(60)), -1);
        Cv2.Circle(image, new Point(44, 50), 6, Scalar.All(30), -1);
        Cv2.Circle(image, new Point(76, 50), 6, Scalar.All(30), -1);
        Cv2.Ellipse(image, new Point(60, 88), new Size(16, 3 + random.Next(10)), 0, 0, 360, Scalar.All(60), -1);
        var path = Path.Combine(dir, name);
        Cv2.ImWrite(path, image);
        return path;
    }

    private static List<Dictionary<string, string>> ReadCsv(string path, string firstColumn)
    {
        using var reader = new CsvInput(path, firstColumn);
        var rows = new List<Dictionary<string, string>>();
        while (reader.Next() is { } r) rows.Add(r.Fields.ToDictionary());
        return rows;
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static readonly string[] ThetaColumns = ["theta00", "theta01", "theta02", "theta10", "theta11", "theta12"];

    private static float[] Theta(Dictionary<string, string> row) => ThetaColumns.Select(k => float.Parse(row[k], CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void Heatmap_SyntheticImages_WritesFiguresAndConsistentTables()
    {
        var dir = TestModels.TempFolder("heatmap-synthetic");
        Directory.CreateDirectory(Path.Combine(dir, "imgs"));
        var lines = new List<string> { "path,label" };
        var seed = 0;
        foreach (var label in TestModels.Labels)
            for (var i = 0; i < 2; i++)
                lines.Add($"imgs/{Path.GetFileName(SyntheticFace(Path.Combine(dir, "imgs"), $"{label}{i}.png", seed++))},{label.ToUpperInvariant()}");
        lines.Add("imgs/missing.png,happy");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), lines);

        var (code, output) = Edram(dir, "heatmap", "--model", TestModels.Small, "--input", "in.csv", "--output", "out", "--detector", "none", "--batch-size", "4");
        Assert.True(code == 0, output);
        Assert.Contains("random weights", output);
        var outDir = Path.Combine(dir, "out");
        foreach (var png in new[] { "heatmaps.png", "first_glimpse.png", "regions.png" }.Concat(TestModels.Labels.Select(l => $"heatmap_{l}.png")))
        {
            using var image = Cv2.ImRead(Path.Combine(outDir, png));
            Assert.False(image.Empty(), png);
            Assert.True(image.Width >= 400 && image.Height >= 400, $"{png} is {image.Width}x{image.Height}");
        }
        using (var grid = Cv2.ImRead(Path.Combine(outDir, "heatmaps.png")))
        {
            Assert.Equal(86 + TestModels.Labels.Length * 150 + 40, grid.Height); // one row per class
            Assert.Equal(150 + (Steps + 1) * 150 + 120, grid.Width);           // steps + "all steps"
        }

        var heat = ReadCsv(Path.Combine(outDir, "heatmaps.csv"), "class");
        Assert.Equal(TestModels.Labels.Length * (Steps + 1) * 100, heat.Count);
        Assert.All(heat, r => Assert.InRange(D(r["x50"]), 0, 1));

        var regions = ReadCsv(Path.Combine(outDir, "regions.csv"), "class");
        Assert.Equal(TestModels.Labels.Length * (Steps + 1), regions.Count);
        Assert.All(regions, r => Assert.Equal(1.0, FaceRegions.Names.Sum(n => D(r[n])), 4));

        var first = ReadCsv(Path.Combine(outDir, "first_glimpse.csv"), "path");
        var glimpses = ReadCsv(Path.Combine(outDir, "glimpses.csv"), "path");
        Assert.Equal(14, first.Count);
        Assert.Equal(14 * Steps, glimpses.Count);
        foreach (var f in first)
        {
            var g = glimpses.Single(r => r["path"] == f["path"] && r["step"] == "1");
            Assert.Equal(D(g["box_x"]) + D(g["box_width"]) / 2, D(f["x"]), 3);
            Assert.Equal(D(g["box_y"]) + D(g["box_height"]) / 2, D(f["y"]), 3);
            Assert.Equal(f["label"], g["label"]);
            // The region shares of this glimpse, recomputed from its θ, lie within the class row's range [0, 1].
            var theta = Theta(g);
            Assert.Equal(D(g["box_width"]), GlimpseGeometry.ToPixelBox(theta, 100).Width, 3);
        }
        // Region shares of step 1 per class equal the mean of that class's first glimpses' shares.
        foreach (var label in TestModels.Labels)
        {
            var expected = glimpses.Where(g => g["label"] == label && g["step"] == "1")
                .Select(g => FaceRegions.Fer2013.Shares(Theta(g)).Eyes)
                .Average();
            var written = D(regions.Single(r => r["class"] == label && r["step"] == "1")["eyes"]);
            // The CSVs hold 6 decimals (θ in glimpses.csv too): compare within that precision, not by rounding both to 4
            // places, which fails when a value sits on a rounding boundary (0.21705 vs 0.2170505).
            Assert.True(Math.Abs(expected - written) <= 5.01e-6, $"{label}: eyes share {written} in regions.csv, {expected} recomputed");
        }

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.Equal(14, summary.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(1, summary.RootElement.GetProperty("skipped").GetInt32());
        Assert.True(summary.RootElement.GetProperty("random_weights").GetBoolean());
        Assert.True(summary.RootElement.GetProperty("first_glimpse").GetProperty("inter_class_variance").GetDouble() >= 0);
        Assert.Equal(TestModels.Labels.Length, ReadCsv(Path.Combine(outDir, "first_glimpse_stats.csv"), "class").Count);
        Assert.Equal(TestModels.Labels.Length, ReadCsv(Path.Combine(outDir, "accuracy.csv"), "class").Count);
    }

    [Fact]
    public void Heatmap_UnknownLabel_FailsNamingIt()
    {
        var dir = TestModels.TempFolder("heatmap-badlabel");
        SyntheticFace(dir, "a.png", 1);
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path,label", "a.png,contempt"]);
        var (code, output) = Edram(dir, "heatmap", "--model", TestModels.Small, "--input", "in.csv", "--output", "out", "--detector", "none");
        Assert.Equal(1, code);
        Assert.Contains("'contempt'", output);
    }

    [SharedDataFact("fer2013/labels.csv", "fer2013/test")]
    public void Heatmap_Fer2013LabelsCsvTestSplit_PerClassLimitAndFilter()
    {
        // The dataset's own labels.csv (paths relative to it), filtered to the test split, 2 images per class.
        var dir = TestModels.TempFolder("heatmap-fer");
        var (code, output) = Edram(dir, "heatmap", "--model", TestModels.Small, "--input", SharedData.Path("fer2013", "labels.csv"),
            "--where", "split=test", "--per-class", "2", "--output", "out", "--detector", "none");
        Assert.True(code == 0, output);
        var first = ReadCsv(Path.Combine(dir, "out", "first_glimpse.csv"), "path");
        Assert.Equal(2 * TestModels.Labels.Length, first.Count);
        Assert.All(TestModels.Labels, l => Assert.Equal(2, first.Count(f => f["label"] == l)));
        Assert.All(first, f => Assert.Contains("PublicTest_", f["path"]));
    }

    [Fact]
    public void Scanpath_SyntheticImage_WritesPngAndOneRowPerStep()
    {
        var dir = TestModels.TempFolder("scanpath");
        SyntheticFace(dir, "face.png", 5);
        var (code, output) = Edram(dir, "scanpath", "--model", TestModels.Small, "--image", "face.png", "--output", "face.scan.png", "--detector", "none");
        Assert.True(code == 0, output);
        using var image = Cv2.ImRead(Path.Combine(dir, "face.scan.png"));
        Assert.False(image.Empty());
        Assert.True(image.Width > 700, $"{image.Width}x{image.Height}");
        Assert.Contains("final:", output);
        foreach (var step in Enumerable.Range(1, Steps)) Assert.Matches($@"│\s*{step}\s*│", output);
    }

    [Fact]
    public void Scanpath_MissingImage_FailsNamingIt()
    {
        var dir = TestModels.TempFolder("scanpath-missing");
        var (code, output) = Edram(dir, "scanpath", "--model", TestModels.Small, "--image", "nope.png", "--detector", "none");
        Assert.Equal(1, code);
        Assert.Contains("nope.png", output);
    }
}
