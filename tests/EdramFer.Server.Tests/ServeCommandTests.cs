using EdramFer.Tests.Shared;

namespace EdramFer.Server.Tests;

/// <summary><c>edram serve</c> as a user runs it: refusals before listening, exit 1 with the reason.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public void Serve_ModelThatDoesNotLoad_ExitOneNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("edram-serve-");
        var bad = Path.Combine(dir.FullName, "broken.onnx");
        File.WriteAllText(bad, "not an ONNX model");

        var (code, output) = EdramCli.Run(dir.FullName, "serve", "--model", bad, "--urls", "http://127.0.0.1:0");

        dir.Delete(recursive: true);
        Assert.Equal(1, code);
        Assert.Contains("serve failed", output);
        Assert.Contains("broken.onnx", output);
    }

    [Fact]
    public void Serve_ShortApiKeyOrPipelineZip_RefusedBeforeListening()
    {
        var dir = Directory.CreateTempSubdirectory("edram-serve-");
        var key = Path.Combine(dir.FullName, "key.txt");
        File.WriteAllText(key, "short\n");

        var (keyCode, keyOutput) = EdramCli.Run(dir.FullName, "serve", "--model", ServerFactory.ShippedModel, "--api-key-file", key);
        var (zipCode, zipOutput) = EdramCli.Run(dir.FullName, "serve", "--model", "pipeline.zip");

        dir.Delete(recursive: true);
        Assert.Equal(1, keyCode);
        Assert.Contains("at least 16 characters", keyOutput);
        Assert.Equal(1, zipCode);
        Assert.Contains("must be an .onnx model", zipOutput);
    }
}
