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
    [InlineData("merge", "--output")]
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

    /// <summary>edram's own dependency closure, as its build wrote it (edram.deps.json): ONNX Runtime, no libtorch, one platform.</summary>
    [Fact]
    public void Edram_DependencyClosure_HasNoTorchSharpAndOnePlatform()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var deps = Path.Combine(EdramFer.Tests.Shared.SharedData.RepoRoot, "src", "EdramFer.Cli", "bin", configuration, "net10.0", "edram.deps.json");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(deps));
        var libraries = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains(libraries, l => l.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, l => l.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase) || l.Contains("libtorch", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(".NETCoreApp,Version=v10.0/linux-x64", json.RootElement.GetProperty("runtimeTarget").GetProperty("name").GetString());
    }
}
