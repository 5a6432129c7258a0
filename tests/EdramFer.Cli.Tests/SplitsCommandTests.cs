using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;
using EdramFer.Training.Data;
using OpenCvSharp;

namespace EdramFer.Cli.Tests;

/// <summary><c>edram-train splits</c> run as a process: the CSV holds the rows the trainer would use, split by split.</summary>
public class SplitsCommandTests
{
    private static (int Code, string Output) Edram(params string[] args) => EdramCli.RunTrain(null, args);

    private static string ClassFolders(string dir, int perClass)
    {
        foreach (var label in new[] { "calm", "joy" })
        {
            Directory.CreateDirectory(Path.Combine(dir, label));
            for (var i = 0; i < perClass; i++)
            {
                using var image = new Mat(new Size(48, 48), MatType.CV_8UC1, new Scalar(i * 5));
                Cv2.ImWrite(Path.Combine(dir, label, $"{label}_{i:D3}.png"), image);
            }
        }
        return dir;
    }

    private static List<string[]> ReadCsv(string path) =>
        File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToList();

    [Fact]
    public void Splits_ClassFolders_ValidationRowsAreTheTrainersHoldOut()
    {
        var dir = TestModels.TempFolder("splits");
        var data = ClassFolders(Path.Combine(dir, "data"), 30);
        var output = Path.Combine(dir, "splits.csv");
        var (code, text) = Edram("splits", "--dataset", "folder:" + data, "--output", output);
        Assert.True(code == 0, text);
        var rows = ReadCsv(output);
        Assert.Equal(60, rows.Count);
        var trainer = DatasetReader.Read("folder:" + data); // the trainer's call with its defaults
        Assert.Equal(trainer.Validation.Samples.Select(s => s.Source).Order(), rows.Where(r => r[2] == "validation").Select(r => r[0]).Order());
        Assert.Equal(trainer.Train.Samples.Select(s => s.Source).Order(), rows.Where(r => r[2] == "train").Select(r => r[0]).Order());
        Assert.Equal(3, rows.Count(r => r[2] == "validation" && r[1] == "calm")); // 10 % of each class
        Assert.Equal(3, rows.Count(r => r[2] == "validation" && r[1] == "joy"));
        Assert.All(rows, r => Assert.Equal(r[1], Path.GetFileName(Path.GetDirectoryName(r[0]))));
        Assert.Contains("validation", text);
    }

    [SharedDataFact("fer2013/train")]
    public void Splits_Fer2013_PublicTestIsTheTestSplit()
    {
        var output = Path.Combine(TestModels.TempFolder("splits-fer"), "fer.csv");
        var (code, text) = Edram("splits", "--dataset", "fer2013:" + SharedData.Path("fer2013"), "--output", output);
        Assert.True(code == 0, text);
        var rows = ReadCsv(output);
        Assert.Equal(3589, rows.Count(r => r[2] == "test"));
        Assert.All(rows.Where(r => r[2] == "test"), r => Assert.StartsWith("PublicTest_", Path.GetFileName(r[0])));
        Assert.Equal(2872, rows.Count(r => r[2] == "validation"));
        Assert.All(rows.Where(r => r[2] != "test"), r => Assert.StartsWith("Training_", Path.GetFileName(r[0])));
    }

    [Fact]
    public void Splits_PixelCsvDataset_ExitsOneSayingItListsFiles()
    {
        var dir = TestModels.TempFolder("splits-pixels");
        var csv = Path.Combine(dir, "fer2013.csv");
        var pixels = string.Join(' ', Enumerable.Repeat("128", 48 * 48));
        File.WriteAllLines(csv, ["emotion,pixels,Usage", $"3,{pixels},Training", $"0,{pixels},Training", $"4,{pixels},PublicTest"]);
        var (code, text) = Edram("splits", "--dataset", "fer2013:" + csv, "--output", Path.Combine(dir, "out.csv"));
        Assert.Equal(1, code);
        Assert.Contains("stores pixels, not image files", System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " "));
        Assert.False(File.Exists(Path.Combine(dir, "out.csv")));
    }

    [Theory]
    [InlineData("--dataset is required", "--output", "x.csv")]
    [InlineData("--output is required", "--dataset", "folder:x")]
    [InlineData("Unknown dataset kind 'imagenet'", "--dataset", "imagenet:x", "--output", "x.csv")]
    public void Splits_BadArguments_ExitsOneWithTheSpecificMessage(string message, params string[] args)
    {
        var (code, text) = Edram(["splits", .. args]);
        Assert.Equal(1, code);
        Assert.Contains(message, text);
    }
}
