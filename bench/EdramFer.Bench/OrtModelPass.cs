using System.Diagnostics;
using EdramFer.Contracts;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.Bench;

/// <summary>
/// Model-only passes of an EdramFer ONNX export: preprocessed faces already scaled in memory, ONNX Runtime (CPU) with
/// <c>threads</c> intra-op threads, the <c>probabilities</c> output read back and reduced to the predicted class.
/// </summary>
internal sealed class OrtModelPass : IDisposable
{
    private readonly InferenceSession _session;
    private readonly float[] _inputs;
    private readonly int _side;
    private readonly int _classes;

    /// <param name="model">the .onnx file</param>
    /// <param name="inputs">faces × side × side values, already <c>pixel · scale + offset</c></param>
    /// <param name="side">input side (edram.input_size)</param>
    /// <param name="classes">length of the probabilities row</param>
    /// <param name="threads">ONNX Runtime intra-op threads</param>
    public OrtModelPass(string model, float[] inputs, int side, int classes, int threads)
    {
        if (inputs.Length % (side * side) != 0)
            throw new ArgumentException($"{inputs.Length} input values are not a whole number of {side}x{side} faces", nameof(inputs));
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        _session = new InferenceSession(model, options);
        _inputs = inputs;
        _side = side;
        _classes = classes;
    }

    /// <summary>Faces held in memory.</summary>
    public int Faces => _inputs.Length / (_side * _side);

    /// <summary>Scores the first <paramref name="count"/> faces (all when null) in batches of <paramref name="batch"/>.</summary>
    public TimedPass Pass(int batch, int? count = null)
    {
        var n = Math.Min(count ?? Faces, Faces);
        var size = _side * _side;
        var predictions = new int[n];
        using var run = new RunOptions();
        var sw = Stopwatch.StartNew();
        for (var s = 0; s < n; s += batch)
        {
            var m = Math.Min(batch, n - s);
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                _inputs.AsMemory(s * size, m * size), [m, 1, _side, _side]);
            using var outputs = _session.Run(run, [OnnxContract.InputName], [input], [OnnxContract.ProbabilitiesName]);
            var p = outputs[0].GetTensorDataAsSpan<float>();
            for (var i = 0; i < m; i++) predictions[s + i] = ArgMax(p.Slice(i * _classes, _classes));
        }
        return new TimedPass(n, n / sw.Elapsed.TotalSeconds, predictions);
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }

    public void Dispose() => _session.Dispose();
}
