using EdramFer.ML;
using EdramFer.Vision;

namespace EdramFer.ML.Tests;

/// <summary>What a saved pipeline records about the detector files.</summary>
public class CropStateTests
{
    [Fact]
    public void From_ShippedDetectorModels_NotStoredAndFoundAgainOnLoad()
    {
        // Before: the default chain's shipped YuNet and SSD paths were stored relative to the zip's folder, so a zip
        // moved away from the build output that saved it could no longer find them.
        Assert.NotNull(ShippedModels.YuNetPath);
        var options = new FaceCroppingOptions { OutputColumnName = "Face", Preprocess = new PreprocessOptions(), PipelineFolder = Path.GetTempPath() };
        var state = CropState.From(options);
        Assert.Null(state.YuNetModelPath);
        Assert.Null(state.SsdModelPath);
        Assert.Null(state.SsdConfigPath);
        var back = state.ToOptions(Path.Combine(Path.GetTempPath(), "elsewhere"));
        Assert.Equal(ShippedModels.YuNetPath, back.YuNetModelPath);
        Assert.Equal(ShippedModels.SsdModelPath, back.SsdModelPath);
    }

    [Fact]
    public void From_UsersOwnDetectorModel_StoredRelativeToThePipeline()
    {
        using var dir = new TempFolder();
        var own = Path.Combine(dir.Path, "my-yunet.onnx");
        File.Copy(ShippedModels.YuNetPath!, own);
        var options = new FaceCroppingOptions
        {
            OutputColumnName = "Face", PipelineFolder = dir.Path,
            Preprocess = new PreprocessOptions { YuNetModelPath = own },
        };
        var state = CropState.From(options);
        Assert.Equal("my-yunet.onnx", state.YuNetModelPath);
        Assert.Equal(own, state.ToOptions(dir.Path).YuNetModelPath);
    }

    sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("edram-cropstate-").FullName;
        public void Dispose() => Directory.Delete(Path, true);
    }
}
