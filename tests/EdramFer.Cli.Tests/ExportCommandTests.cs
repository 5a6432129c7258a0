using System.Diagnostics;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.Cli.Tests;

/// <summary><c>edram-train export</c> run as a process, like a user would.</summary>
public class ExportCommandTests
{
    private static (int Code, string Output) Edram(params string[] args) => EdramCli.RunTrain(null, args);

    [Fact]
    public void Export_RandomCpuPreset_WritesCheckedModelAndPrintsParity()
    {
        var output = Path.Combine(TestModels.TempFolder("export"), "random.onnx");
        var (code, text) = Edram("export", "--random", "cpu", "--output", output, "--labels", "a,b,c");
        Assert.True(code == 0, text);
        foreach (var name in new[] { "probabilities", "valence_arousal", "glimpses", "step_probabilities" }) Assert.Contains(name, text);
        Assert.Contains("within 1e-4", text);
        using var session = new InferenceSession(output);
        Assert.Equal("a,b,c", session.ModelMetadata.CustomMetadataMap["edram.labels"]);
        Assert.Equal("6", session.ModelMetadata.CustomMetadataMap["edram.steps"]);
        Assert.Equal([-1, 3], session.OutputMetadata["probabilities"].Dimensions);
    }

    [Theory]
    [InlineData("--output is required", "--random", "cpu")]
    [InlineData("Give exactly one of --checkpoint", "--output", "x.onnx")]
    [InlineData("Give exactly one of --checkpoint", "--output", "x.onnx", "--random", "cpu", "--checkpoint", "c")]
    [InlineData("--opset must be 16 to 21, got 15", "--output", "x.onnx", "--random", "cpu", "--opset", "15")] // no GridSample before 16
    public void Export_BadArguments_ExitsOneWithTheSpecificMessage(string message, params string[] args)
    {
        var (code, text) = Edram(["export", .. args]);
        Assert.Equal(1, code);
        Assert.Contains(message, text);
    }

    [Fact]
    public void Export_MissingCheckpoint_ExitsOneNamingIt()
    {
        var dir = TestModels.TempFolder("export-missing");
        var (code, text) = Edram("export", "--checkpoint", Path.Combine(dir, "nope.ckpt"), "--output", Path.Combine(dir, "x.onnx"));
        Assert.Equal(1, code);
        Assert.Contains("nope.ckpt", text);
        Assert.False(File.Exists(Path.Combine(dir, "x.onnx")));
    }
}
