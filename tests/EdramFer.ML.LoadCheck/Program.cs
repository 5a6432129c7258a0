// Usage: EdramFer.ML.LoadCheck <pipeline.zip> <input column> <paths.txt> <out.tsv>
// Loads the pipeline with mlContext.Model.LoadEdram in a process that never built it, scores one image path per line of
// paths.txt and writes "predicted<TAB>score1,score2,...<TAB>valence<TAB>arousal<TAB>gpu" per output row (floats
// round-trip), where gpu is the saved GpuDeviceId/FallbackToCpu of the pipeline's ApplyEdram, then, for pipelines with face
// columns (not those saved before them), "<TAB>face index<TAB>x,y,w,h<TAB>path": the face (one row per face when the
// pipeline keeps every face) and the row's input column, repeated.
using System.Globalization;
using EdramFer.ML;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: EdramFer.ML.LoadCheck <pipeline.zip> <input column> <paths.txt> <out.tsv>");
    return 1;
}
var mlContext = new MLContext(seed: 0);
using var model = mlContext.Model.LoadEdram(args[0]);
var paths = File.ReadAllLines(args[2]);
var definition = SchemaDefinition.Create(typeof(Row));
definition[nameof(Row.Path)].ColumnName = args[1]; // the pipeline's input column
var view = mlContext.Data.LoadFromEnumerable(paths.Select(p => new Row { Path = p }), definition);
var scored = model.Transform(view);
var scoring = model.Scoring.Single();
var inv = CultureInfo.InvariantCulture;
using var output = new StreamWriter(args[3]);
using var cursor = scored.GetRowCursor(scored.Schema);
var predicted = cursor.GetGetter<uint>(scored.Schema["PredictedLabel"]);
var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
var valence = cursor.GetGetter<float>(scored.Schema["Valence"]);
var arousal = cursor.GetGetter<float>(scored.Schema["Arousal"]);
var faces = scored.Schema.GetColumnOrNull(FaceColumns.FaceIndex) is not null;
var faceIndex = faces ? cursor.GetGetter<int>(scored.Schema[FaceColumns.FaceIndex]) : null;
var box = faces ? new[] { FaceColumns.FaceX, FaceColumns.FaceY, FaceColumns.FaceWidth, FaceColumns.FaceHeight }.Select(c => cursor.GetGetter<float>(scored.Schema[c])).ToArray() : [];
var path = faces ? cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema[args[1]]) : null;
uint key = 0;
VBuffer<float> s = default;
float v = 0, a = 0;
int face = 0;
ReadOnlyMemory<char> input = default;
while (cursor.MoveNext())
{
    predicted(ref key);
    score(ref s);
    valence(ref v);
    arousal(ref a);
    var line = string.Join('\t', key.ToString(inv), string.Join(",", s.DenseValues().Select(x => x.ToString("R", inv))),
        v.ToString("R", inv), a.ToString("R", inv), $"{scoring.GpuDeviceId?.ToString(inv) ?? "cpu"}/{scoring.FallbackToCpu}");
    if (faces)
    {
        faceIndex!(ref face);
        path!(ref input);
        var edges = box.Select(get =>
        {
            float value = 0;
            get(ref value);
            return value.ToString("R", inv);
        });
        line = string.Join('\t', line, face.ToString(inv), string.Join(",", edges), input.ToString());
    }
    output.WriteLine(line);
}
return 0;

sealed class Row
{
    public string Path { get; set; } = "";
}
