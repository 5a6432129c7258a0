using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace EdramFer.ML.Quantization;

/// <summary>
/// Ranges of activation tensors over calibration images: the graph with those tensors added as outputs, run on ONNX
/// Runtime's CPU provider in batches; per tensor the smallest and largest value seen (min–max calibration).
/// </summary>
internal static class ActivationCalibration
{
    public static Dictionary<string, (float Min, float Max)> Ranges(ModelProto model, IReadOnlyCollection<string> tensors,
        IReadOnlyList<byte[]> faces, int side, float scale, float offset, int batchSize = 32)
    {
        if (faces.Count == 0) throw new ArgumentException("no calibration images", nameof(faces));
        var probe = model.Clone();
        foreach (var t in tensors)
            probe.Graph.Output.Add(new ValueInfoProto
            {
                Name = t,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        var ranges = tensors.ToDictionary(t => t, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity), StringComparer.Ordinal);
        var names = tensors.ToArray();
        for (int start = 0; start < faces.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, faces.Count - start);
            var input = new float[n * side * side];
            for (int k = 0; k < n; k++)
            {
                var face = faces[start + k];
                if (face.Length != side * side) throw new ArgumentException($"calibration image {start + k} has {face.Length} pixels, expected {side}x{side}");
                for (int j = 0; j < face.Length; j++) input[k * face.Length + j] = face[j] * scale + offset;
            }
            using var tensor = OrtValue.CreateTensorValueFromMemory(input, [n, 1, side, side]);
            using var run = new RunOptions();
            using var results = session.Run(run, [Contracts.OnnxContract.InputName], [tensor], names);
            for (int i = 0; i < names.Length; i++)
            {
                var (min, max) = ranges[names[i]];
                foreach (var v in results[i].GetTensorDataAsSpan<float>())
                {
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
                ranges[names[i]] = (min, max);
            }
        }
        return ranges;
    }
}
