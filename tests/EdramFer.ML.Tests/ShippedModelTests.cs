using System.Globalization;
using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.ML.Tests;

/// <summary>The shipped default model (onnx/edram-fer2013.onnx) evaluated through ML.NET reproduces the trainer's figure.</summary>
public class ShippedModelTests
{
    static string ModelPath => Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");

    [Fact]
    public void Read_FlipAveraging_ComesFromTheModelsMetadata()
    {
        // The model card and the scoring benchmark describe the shipped model as a mirror-averaged export.
        Assert.True(EdramModelInfo.Read(ModelPath).FlipAveraging);
        Assert.False(EdramModelInfo.Read(TestModels.Small).FlipAveraging);
    }

    [SharedDataFact("fer2013/test")]
    public void Evaluate_ShippedModelOnFullPublicTest_EqualsTrainerAccuracy()
    {
        Assert.True(File.Exists(ModelPath), $"the shipped model {ModelPath} is missing");
        string recorded;
        using (var session = new InferenceSession(ModelPath))
            recorded = session.ModelMetadata.CustomMetadataMap["edram.accuracy"];
        double trainerAccuracy = double.Parse(recorded, CultureInfo.InvariantCulture);

        // Every PublicTest image, preprocessed as in training (FER2013 images are face crops: no detection).
        var rows = TestModels.Labels.SelectMany(l => Directory.GetFiles(SharedData.Path("fer2013", "test", l), "PublicTest_*.jpg")
            .Select(p => new ApplyEdramTests.LabeledRow { Path = p, LabelText = l })).ToList();
        Assert.Equal(3589, rows.Count);
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(rows);
        var noDetection = new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage };
        var model = ml.Transforms.PreprocessFace("Face", "Path", noDetection)
            .Append(ml.Transforms.ApplyEdram(ModelPath))
            .Append(ml.Transforms.Conversion.MapLabelToKey("Label", TestModels.Labels, "LabelText"))
            .Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data), "Label", "Score", "PredictedLabel");

        // edram.accuracy is the TorchSharp evaluation of the same checkpoint, rounded to 4 decimals (1 image = 0.00028).
        Assert.InRange(metrics.MicroAccuracy, trainerAccuracy - 1.5 / 3589, trainerAccuracy + 1.5 / 3589);
    }
}
