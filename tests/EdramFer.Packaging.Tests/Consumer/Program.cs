// The fresh console project of PackageConsumerTests: it knows EdramFer only through its packages.
// Usage: dotnet run -- <images.csv> <image folder>. Prints the model and detector paths it used, then one CSV line per
// image: path,label,score_<class>... (label and scores empty for a row without a prediction).
using System.Globalization;
using EdramFer.ML;
using EdramFer.Models;
using Microsoft.ML;
using Microsoft.ML.Data;

var ml = new MLContext(seed: 0);
var data = ml.Data.LoadFromTextFile<ImageRow>(args[0], separatorChar: ',', hasHeader: true);
var info = EdramModelInfo.Read(EdramModels.Fer2013);
var pipeline = ml.Transforms.PreprocessFace("Face", "path", info.Preprocess, imageFolder: args[1])
    .Append(ml.Transforms.ApplyEdram(EdramModels.Fer2013));
using var fitted = pipeline.Fit(data);

Console.WriteLine($"model: {EdramModels.Fer2013}");
Console.WriteLine($"yunet: {info.Preprocess.YuNetModelPath}");
Console.WriteLine("path,label," + string.Join(",", info.Labels.Select(l => "score_" + l)));
foreach (var p in ml.Data.CreateEnumerable<Prediction>(fitted.Transform(data), reuseRowObject: false))
{
    var label = p.PredictedLabel == 0 ? "" : info.Labels[(int)p.PredictedLabel - 1];
    var scores = p.Score.Select(s => float.IsNaN(s) ? "" : s.ToString("R", CultureInfo.InvariantCulture));
    Console.WriteLine($"{p.path},{label},{string.Join(",", scores)}");
}

public sealed class ImageRow
{
    [LoadColumn(0)] public string path { get; set; } = "";
    [LoadColumn(1)] public string description { get; set; } = "";
}

public sealed class Prediction
{
    public string path { get; set; } = "";
    public uint PredictedLabel { get; set; }
    public float[] Score { get; set; } = [];
}
