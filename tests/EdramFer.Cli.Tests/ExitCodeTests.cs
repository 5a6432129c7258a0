using EdramFer.ML.Tests;

namespace EdramFer.Cli.Tests;

/// <summary>The one error-to-exit-code mapping, in process (CommandAppTester): every failure is exit 1 with a message naming it.</summary>
public class ExitCodeTests
{
    private static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

    [Theory]
    [InlineData("--batchsize", "--batch-size")]
    [InlineData("--image-colum", "--image-column")]
    [InlineData("--outptu", "--output")]
    public void Run_UnknownOption_ExitOneNamingItAndClosestOption(string typed, string suggested)
    {
        var (code, output) = InProcessEdram.Run(null, "score", "--model", "m.onnx", "--input", "in.csv", "--output", "o.csv", typed, "3");
        Assert.Equal(1, code);
        Assert.Contains($"Unknown option '{typed.TrimStart('-')}'", Flat(output));
        Assert.Contains($"Did you mean '{suggested}'?", Flat(output));
    }

    [Fact]
    public void Run_UnknownOptionFarFromAny_ExitOnePointsToHelp()
    {
        var (code, output) = InProcessEdram.Run(null, "evaluate", "--model", "m.onnx", "--input", "in.csv", "--zzzzzzzzzz", "1");
        Assert.Equal(1, code);
        Assert.DoesNotContain("Did you mean", output);
        Assert.Contains("edram evaluate --help lists every option", Flat(output));
    }

    [Fact]
    public void Run_InvalidValue_ExitOneWithValidationMessage()
    {
        var (code, output) = InProcessEdram.Run(null, "score", "--model", "m.onnx", "--input", "in.csv", "--output", "o.csv", "--batch-size", "0");
        Assert.Equal(1, code);
        Assert.Contains("--batch-size must be >= 1, got 0", Flat(output));
    }

    [Fact]
    public void Run_MissingModel_ExitOneNamingFile()
    {
        var dir = TestModels.TempFolder("exit-missing-model");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path", "a.jpg"]);
        var (code, output) = InProcessEdram.Run(dir, "score", "--model", "nope.onnx", "--input", "in.csv", "--output", "o.csv");
        Assert.Equal(1, code);
        Assert.Contains("score failed: EDRAM model file not found: 'nope.onnx'", Flat(output));
        Assert.False(File.Exists(Path.Combine(dir, "o.csv.lock")), "the lock is released when the run fails");
    }

    [Fact]
    public void Run_NonRegularModelFile_ExitOneNamingKind()
    {
        var dir = TestModels.TempFolder("exit-device-model");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path", "a.jpg"]);
        var (code, output) = InProcessEdram.Run(dir, "score", "--model", "/dev/zero", "--input", "in.csv", "--output", "o.csv");
        Assert.Equal(1, code);
        Assert.Contains("'/dev/zero' is a character device, not a regular file", Flat(output));
    }
}
