using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;

namespace EdramFer.Cli.Tests;

/// <summary><c>edram quantize</c> in process: a CSV of real crops in, an int8 model with the same contract out.</summary>
public class QuantizeCommandTests
{
    static string Shipped => Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");

    [SharedDataFact("fer2013/test")]
    public void Quantize_CsvOfCrops_WritesInt8ModelAndReportsAgreement()
    {
        var dir = TestModels.TempFolder("quantize-cli");
        var rows = TestModels.FerTest(6);
        File.WriteAllLines(Path.Combine(dir, "calibration.csv"),
            ["path,label", .. rows.Select(r => $"{Path.GetRelativePath(dir, r.Path)},{r.Label}"), "missing.jpg,happy"]);

        var (code, output) = ScoreCommandTests.Edram(dir, "quantize", "--model", Shipped, "--calibration", "calibration.csv",
            "--detector", "none", "--max-images", "40", "--output", "int8.onnx");

        Assert.True(code == 0, output);
        Assert.Contains("calibration faces", output);
        Assert.Contains("same label as float", output);
        var info = EdramModelInfo.Read(Path.Combine(dir, "int8.onnx"));
        Assert.Contains("min-max over 40 calibration faces", info.Metadata[OnnxContract.Metadata.Quantization]);
    }

    [Theory]
    [InlineData("--output", "int8.onnx")]
    [InlineData("--calibration", "c.csv")]
    public void Quantize_MissingOption_FailsNamingIt(string given, string value)
    {
        var (code, output) = ScoreCommandTests.Edram(TestModels.TempFolder("quantize-cli"), "quantize", "--model", Shipped, given, value);
        Assert.NotEqual(0, code);
        Assert.Contains(given == "--output" ? "--calibration is required" : "--output is required", output);
    }
}
