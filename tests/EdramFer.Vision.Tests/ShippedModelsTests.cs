using System.Security.Cryptography;
using System.Text.RegularExpressions;
using EdramFer.Tests.Shared;

namespace EdramFer.Vision.Tests;

/// <summary>The detector models shipped in models/: present in the build output, as recorded, used by default.</summary>
public sealed partial class ShippedModelsTests
{
    [Theory]
    [InlineData(ShippedModels.YuNetFile)]
    [InlineData(ShippedModels.SsdModelFile)]
    [InlineData(ShippedModels.SsdConfigFile)]
    [InlineData("YUNET_LICENSE.txt")]
    public void Find_BuildOutput_HoldsFileWithTheRecordedSha256(string file)
    {
        var path = ShippedModels.Find(file);
        var provenance = File.ReadAllText(ShippedModels.Find("PROVENANCE.md") ?? throw new FileNotFoundException("PROVENANCE.md not in the build output"));

        Assert.NotNull(path);
        var recorded = Regex.Match(provenance, $@"\| `{Regex.Escape(file)}` \| [\d,]+ \| `([0-9a-f]{{64}})`");
        Assert.True(recorded.Success, $"PROVENANCE.md has no SHA-256 row for {file}");
        Assert.Equal(recorded.Groups[1].Value, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
    }

    [Fact]
    public void Defaults_ModelPaths_AreTheShippedFilesBesideTheAssembly()
    {
        var options = new PreprocessOptions();
        var folder = Path.Combine(Path.GetDirectoryName(typeof(ShippedModels).Assembly.Location)!, ShippedModels.FolderName);

        Assert.Equal(Path.Combine(folder, ShippedModels.YuNetFile), options.YuNetModelPath);
        Assert.Equal(Path.Combine(folder, ShippedModels.SsdModelFile), options.SsdModelPath);
        Assert.Equal(Path.Combine(folder, ShippedModels.SsdConfigFile), options.SsdConfigPath);
    }

    [SharedDataFact(TestImages.MuxspaceImages)]
    public void DefaultChain_OtherWorkingDirectory_FindsTheFaceWithShippedModels()
    {
        var image = TestImages.Muxspace()[0];
        var before = Environment.CurrentDirectory;
        using var dir = new TempDir();
        try
        {
            Environment.CurrentDirectory = dir.Path; // models must not be looked up relative to the working directory
            using var pre = new FacePreprocessor(new PreprocessOptions() with { NoFacePolicy = NoFacePolicy.Reject });

            var result = pre.ProcessFile(image);

            Assert.True(result.FaceFound, result.Message);
            Assert.Equal(PreprocessOptions.DefaultDetectors[0], result.Detector);
        }
        finally
        {
            Environment.CurrentDirectory = before;
        }
    }
}
