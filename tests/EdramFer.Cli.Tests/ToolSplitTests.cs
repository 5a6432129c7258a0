namespace EdramFer.Cli.Tests;

/// <summary>
/// The two tools: every command's help renders (option descriptions are Spectre markup, so a stray bracket used to
/// crash <c>train --help</c> with "Could not find color or style"), and a command asked of the wrong tool names the
/// right one.
/// </summary>
public class ToolSplitTests
{
    [Theory]
    [InlineData("score", "--faces")]
    [InlineData("evaluate", "--report")]
    [InlineData("pipeline", "--model")]
    [InlineData("heatmap", "--regions")]
    [InlineData("scanpath", "--image")]
    [InlineData("video", "--detect-every")]
    public void EdramHelp_EveryCommand_ListsItsOptions(string command, string option)
    {
        var (code, text) = InProcessEdram.Run(null, command, "--help");
        Assert.True(code == 0, text);
        Assert.Contains(option, text);
    }

    [Theory]
    [InlineData("train", "--emission")]
    [InlineData("export", "--inference-detector")]
    public void EdramTrainHelp_EveryCommand_ListsItsOptions(string command, string option)
    {
        var (code, text) = InProcessEdram.RunTrain(null, command, "--help");
        Assert.True(code == 0, text);
        Assert.Contains(option, text);
    }

    [Theory]
    [InlineData("train", "'train' is a command of edram-train: edram-train train --help")]
    [InlineData("export", "'export' is a command of edram-train: edram-train export --help")]
    public void Edram_TrainingCommand_NamesEdramTrain(string command, string hint)
    {
        var (code, text) = InProcessEdram.Run(null, command, "--output", "x");
        Assert.Equal(1, code);
        Assert.Contains(hint, text);
    }

    [Fact]
    public void EdramTrain_ScoringCommand_NamesEdram()
    {
        var (code, text) = InProcessEdram.RunTrain(null, "score", "--model", "m.onnx");
        Assert.Equal(1, code);
        Assert.Contains("'score' is a command of edram: edram score --help", text);
    }
}
