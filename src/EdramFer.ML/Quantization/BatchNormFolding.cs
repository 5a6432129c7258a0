using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace EdramFer.ML.Quantization;

/// <summary>
/// Folds each eval-mode BatchNormalization into the Conv or Gemm before it (W' = W·s, b' = (b − μ)·s + β with
/// s = γ/√(σ² + ε) per output channel), as exports without <c>--batch-norm-nodes</c> already are. Quantization needs it:
/// a batch norm between an integer convolution and its output quantizer would keep ONNX Runtime from fusing them, and
/// the scales must be those of the folded weights. Weights shared by several steps get a folded copy per step.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>Folds every batch norm that can be; returns how many.</summary>
    public static int Fold(OnnxGraphEdit g)
    {
        int folded = 0;
        foreach (var bn in g.Graph.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            var layer = g.Producer(bn.Input[0]);
            if (layer is null || !Foldable(g, layer, bn)) continue;
            var (weight, bias) = Folded(g, layer, bn);
            layer.Input[1] = g.AddInitializer(layer.Name + "/folded_weight", weight, DataType.Float, [.. g.Initializers[layer.Input[1]].Dims]);
            var biasName = g.AddInitializer(layer.Name + "/folded_bias", bias, DataType.Float, bias.Length);
            if (layer.Input.Count > 2) layer.Input[2] = biasName;
            else layer.Input.Add(biasName);
            layer.Output[0] = bn.Output[0];
            g.Graph.Node.Remove(bn);
            folded++;
        }
        g.DropUnusedInitializers();
        return folded;
    }

    private static bool Foldable(OnnxGraphEdit g, NodeProto layer, NodeProto bn)
    {
        if (layer.OpType is not ("Conv" or "Gemm") || !g.Initializers.ContainsKey(layer.Input[1])) return false;
        if (layer.Input.Count > 2 && (!g.Initializers.TryGetValue(layer.Input[2], out var b) || b.Dims.Count != 1)) return false;
        if (bn.Input.Skip(1).Any(i => !g.Initializers.ContainsKey(i))) return false;
        if (g.Consumers(layer.Output[0]).Count != 1 || g.Outputs.Contains(layer.Output[0])) return false;
        if (layer.OpType == "Gemm" && (OnnxGraphEdit.Int(layer, "transA", 0) != 0
                                       || OnnxGraphEdit.Float(layer, "alpha", 1) != 1 || OnnxGraphEdit.Float(layer, "beta", 1) != 1)) return false;
        return true;
    }

    private static (float[] Weight, float[] Bias) Folded(OnnxGraphEdit g, NodeProto layer, NodeProto bn)
    {
        var w = g.Floats(layer.Input[1]);
        var dims = g.Initializers[layer.Input[1]].Dims;
        // Output channels: Conv [O, ...]; Gemm transB=1 [N, K]; Gemm transB=0 [K, N].
        bool columns = layer.OpType == "Gemm" && OnnxGraphEdit.Int(layer, "transB", 0) == 0;
        int outputs = checked((int)(columns ? dims[1] : dims[0]));
        float[] gamma = g.Floats(bn.Input[1]), beta = g.Floats(bn.Input[2]), mean = g.Floats(bn.Input[3]), variance = g.Floats(bn.Input[4]);
        if (mean.Length != outputs)
            throw new InvalidDataException($"batch norm '{bn.Name}' has {mean.Length} channels, '{layer.Name}' has {outputs} outputs");
        var b = layer.Input.Count > 2 ? g.Floats(layer.Input[2]) : new float[outputs];
        if (b.Length != outputs) throw new InvalidDataException($"'{layer.Name}' has {b.Length} biases for {outputs} outputs");
        double eps = OnnxGraphEdit.Float(bn, "epsilon", 1e-5f);
        var s = new double[outputs];
        var bias = new float[outputs];
        for (int o = 0; o < outputs; o++)
        {
            s[o] = gamma[o] / Math.Sqrt(variance[o] + eps);
            bias[o] = (float)((b[o] - mean[o]) * s[o] + beta[o]);
        }
        var weight = new float[w.Length];
        int per = w.Length / outputs;
        for (int i = 0; i < w.Length; i++) weight[i] = (float)(w[i] * s[columns ? i % outputs : i / per]);
        return (weight, bias);
    }
}
