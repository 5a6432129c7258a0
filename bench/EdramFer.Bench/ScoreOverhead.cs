using System.Diagnostics;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.Bench;

/// <summary>
/// The scoring benchmark's overhead part: the same preprocessed faces scored by a raw ONNX Runtime loop at batch 1,
/// ML.NET's ApplyEdram, raw ONNX Runtime at the batch size and the batched scorer of <c>edram score</c>.
/// </summary>
internal static class ScoreOverhead
{
    public const int Rounds = 5;

    internal sealed record Result(int Images, double RawOne, double MlNet, double RawBatch, double Scorer, Dictionary<string, double> Cores);

    /// <summary>Images/s of four ways to score the same preprocessed faces; best of 3 interleaved rounds of one full pass each.</summary>
    public static Result Measure(string model, EdramModelInfo info, List<string> paths, int batch)
    {
        using var vision = new FacePreprocessor(info.Preprocess with { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage });
        var faces = paths.Select(p => vision.ProcessFile(p).Pixels ?? throw new InvalidDataException($"{p}: no pixels")).ToList();
        var (session, _) = OrtSessions.Create(model, null, false); // the options EdramScorer and ApplyEdram use
        using var raw = session;
        using var scorer = EdramScorer.Load(model);
        var ml = new MLContext(seed: 0);
        var definition = SchemaDefinition.Create(typeof(FaceRow));
        definition[nameof(FaceRow.Face)].ColumnType = new VectorDataViewType(NumberDataViewType.Byte, info.InputSize * info.InputSize);
        var view = ml.Data.LoadFromEnumerable(faces.Select(f => new FaceRow { Face = f }).ToList(), definition);
        var pipeline = ml.Transforms.ApplyEdram(model, nameof(FaceRow.Face)).Fit(view);
        var glimpseValues = info.Steps * 6;

        void RawLoop(int size)
        {
            string[] outputs = [OnnxContract.ProbabilitiesName, OnnxContract.ValenceArousalName, OnnxContract.GlimpsesName];
            var side = info.InputSize;
            for (var s = 0; s < faces.Count; s += size)
            {
                var n = Math.Min(size, faces.Count - s);
                var input = new float[n * side * side];
                for (var k = 0; k < n; k++)
                {
                    var f = faces[s + k];
                    for (var j = 0; j < f.Length; j++) input[k * f.Length + j] = f[j] * info.InputScale + info.InputOffset;
                }
                using var tensor = OrtValue.CreateTensorValueFromMemory(input, [n, 1, side, side]);
                using var run = new RunOptions();
                using var results = raw.Run(run, [OnnxContract.InputName], [tensor], outputs);
                _ = results[0].GetTensorDataAsSpan<float>().ToArray();
                _ = results[1].GetTensorDataAsSpan<float>().ToArray();
                _ = results[2].GetTensorDataAsSpan<float>().ToArray();
            }
        }

        void MlNetPass()
        {
            var scored = pipeline.Transform(view);
            using var cursor = scored.GetRowCursor(scored.Schema);
            var label = cursor.GetGetter<uint>(scored.Schema["PredictedLabel"]);
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            var valence = cursor.GetGetter<float>(scored.Schema["Valence"]);
            var arousal = cursor.GetGetter<float>(scored.Schema["Arousal"]);
            var glimpses = cursor.GetGetter<VBuffer<float>>(scored.Schema["Glimpses"]);
            uint key = 0;
            float v = 0;
            VBuffer<float> s = default, g = default;
            while (cursor.MoveNext())
            {
                label(ref key);
                score(ref s);
                valence(ref v);
                arousal(ref v);
                glimpses(ref g);
                if (g.Length != glimpseValues) throw new InvalidOperationException("ApplyEdram returned no glimpses");
            }
        }

        void ScorerPass()
        {
            for (var s = 0; s < faces.Count; s += batch)
                scorer.Score(faces.GetRange(s, Math.Min(batch, faces.Count - s)).Cast<byte[]?>().ToList());
        }

        var candidates = new (string Name, Action Pass)[]
        {
            ("raw1", () => RawLoop(1)), ("mlnet", MlNetPass), ("rawBatch", () => RawLoop(batch)), ("scorer", ScorerPass),
        };
        var best = candidates.ToDictionary(c => c.Name, _ => 0.0);
        var cores = candidates.ToDictionary(c => c.Name, _ => 0.0); // process CPU time / wall time of the best pass
        RawLoop(1); // warm-up: first runs allocate ONNX Runtime's arenas
        MlNetPass();
        for (var round = 0; round < Rounds; round++)
            foreach (var (name, pass) in candidates)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                pass();
                var rate = faces.Count / sw.Elapsed.TotalSeconds;
                if (rate <= best[name]) continue;
                best[name] = rate;
                cores[name] = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / sw.Elapsed.TotalSeconds;
            }
        return new Result(faces.Count, best["raw1"], best["mlnet"], best["rawBatch"], best["scorer"], cores);
    }

    private sealed class FaceRow
    {
        public byte[] Face { get; set; } = [];
    }
}
