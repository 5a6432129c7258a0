using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace EdramFer.ML.Quantization;

/// <summary>
/// Rewrites a float graph into ONNX's QDQ form, which ONNX Runtime fuses into integer kernels (QLinearConv, QGemm,
/// MatMulInteger): each chosen Conv/Gemm/MatMul reads its activation through QuantizeLinear→DequantizeLinear (uint8,
/// one scale per tensor from calibration), its weight from int8 with one scale per output channel (symmetric), its
/// bias from int32 at the product of the two scales, and its output is quantized again so the kernel can write integers.
/// </summary>
internal sealed class QdqRewriter(OnnxGraphEdit g)
{
    private readonly Dictionary<string, (string Name, float[] Scales)> _weights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Output, float Scale)> _activations = new(StringComparer.Ordinal);

    /// <summary>The nodes to quantize: weight from an initializer, plain Gemm, not kept float by name.</summary>
    public static List<NodeProto> Targets(OnnxGraphEdit g, IReadOnlyList<string> keepFloat) => g.Graph.Node.Where(n =>
        n.OpType is "Conv" or "Gemm" or "MatMul"
        && n.Input.Count >= 2 && g.Initializers.TryGetValue(n.Input[1], out var w) && w.Dims.Count is 2 or 4
        && (n.OpType != "Gemm" || (OnnxGraphEdit.Int(n, "transA", 0) == 0 && OnnxGraphEdit.Float(n, "alpha", 1) == 1
                                   && OnnxGraphEdit.Float(n, "beta", 1) == 1 && (n.Input.Count < 3 || g.Initializers.ContainsKey(n.Input[2]))))
        && (n.OpType != "Conv" || n.Input.Count < 3 || g.Initializers.ContainsKey(n.Input[2]))
        && !keepFloat.Any(k => n.Name.Contains(k, StringComparison.Ordinal))).ToList();

    /// <summary>Activation tensors whose ranges the rewrite needs: every target's input and output (graph outputs excepted).</summary>
    public static HashSet<string> ActivationsOf(OnnxGraphEdit g, IEnumerable<NodeProto> targets)
    {
        var outputs = g.Outputs;
        return targets.SelectMany(n => new[] { n.Input[0], n.Output[0] }).Where(t => !outputs.Contains(t)).ToHashSet(StringComparer.Ordinal);
    }

    public void Rewrite(IReadOnlyList<NodeProto> targets, IReadOnlyDictionary<string, (float Min, float Max)> ranges)
    {
        foreach (var node in targets)
        {
            var x = Activation(node.Input[0], ranges);
            var (w, wScales) = Weight(node);
            if (node.Input.Count > 2) node.Input[2] = Bias(node, node.Input[2], x.Scale, wScales);
            node.Input[0] = x.Output;
            node.Input[1] = w;
            if (!g.Outputs.Contains(node.Output[0])) Activation(node.Output[0], ranges);
        }
        g.DropUnusedInitializers();
    }

    /// <summary>One QuantizeLinear→DequantizeLinear pair per tensor; every reader of the tensor reads the pair's output.</summary>
    private (string Output, float Scale) Activation(string tensor, IReadOnlyDictionary<string, (float Min, float Max)> ranges)
    {
        // Keyed by the tensor and by the pair's output: a layer reading an earlier layer's quantized output already reads the pair.
        if (_activations.TryGetValue(tensor, out var done)) return done;
        var (min, max) = ranges[tensor];
        if (!float.IsFinite(min) || !float.IsFinite(max)) throw new InvalidDataException($"tensor '{tensor}' has no finite calibration range ({min}..{max})");
        min = Math.Min(min, 0);   // zero must be exact: padding and ReLU produce it
        max = Math.Max(max, 0);
        float scale = Math.Max((max - min) / 255f, 1e-8f);
        var zeroPoint = (byte)Math.Clamp(Math.Round(-min / scale), 0, 255);
        var scaleName = g.AddInitializer($"{tensor}/scale", [scale], DataType.Float);
        var zeroName = g.AddInitializer($"{tensor}/zero_point", [zeroPoint], DataType.Uint8);
        var readers = g.Consumers(tensor);
        string quantized = g.Fresh($"{tensor}/quantized"), output = g.Fresh($"{tensor}/dequantized");
        var q = OnnxGraphEdit.Node("QuantizeLinear", g.Fresh($"{tensor}/quantize"), [tensor, scaleName, zeroName], quantized);
        var dq = OnnxGraphEdit.Node("DequantizeLinear", g.Fresh($"{tensor}/dequantize"), [quantized, scaleName, zeroName], output);
        g.InsertAfter(tensor, q, dq);
        foreach (var reader in readers)
            for (int i = 0; i < reader.Input.Count; i++)
                if (reader.Input[i] == tensor) reader.Input[i] = output;
        return _activations[tensor] = _activations[output] = (output, scale);
    }

    /// <summary>int8 weights, one symmetric scale per output channel, shared by every node that used the float weight.</summary>
    private (string Output, float[] Scales) Weight(NodeProto node)
    {
        var name = node.Input[1];
        bool columns = node.OpType == "MatMul" || (node.OpType == "Gemm" && OnnxGraphEdit.Int(node, "transB", 0) == 0);
        var key = $"{name}|{columns}";
        if (_weights.TryGetValue(key, out var done)) return done;
        var dims = g.Initializers[name].Dims.ToArray();
        var w = g.Floats(name);
        int channels = checked((int)(columns ? dims[1] : dims[0])), per = w.Length / channels;
        int Channel(int i) => columns ? i % channels : i / per;
        var scales = new float[channels];
        for (int i = 0; i < w.Length; i++) scales[Channel(i)] = Math.Max(scales[Channel(i)], Math.Abs(w[i]));
        for (int c = 0; c < channels; c++) scales[c] = Math.Max(scales[c] / 127f, 1e-12f);
        var q = new sbyte[w.Length];
        for (int i = 0; i < w.Length; i++) q[i] = (sbyte)Math.Clamp(Math.Round(w[i] / scales[Channel(i)]), -127, 127);
        var qName = g.AddInitializer($"{name}/int8", q, DataType.Int8, dims);
        var scaleName = g.AddInitializer($"{name}/scales", scales, DataType.Float, channels);
        var zeroName = g.AddInitializer($"{name}/zero_points", new sbyte[channels], DataType.Int8, channels);
        var output = g.Fresh($"{name}/dequantized");
        g.Graph.Node.Insert(0, OnnxGraphEdit.Node("DequantizeLinear", g.Fresh($"{name}/dequantize"), [qName, scaleName, zeroName], output, columns ? 1 : 0));
        return _weights[key] = (output, scales);
    }

    /// <summary>int32 bias at scale x_scale · w_scale[c], as integer kernels accumulate it.</summary>
    private string Bias(NodeProto node, string name, float xScale, float[] wScales)
    {
        var b = g.Floats(name);
        if (b.Length != wScales.Length) throw new InvalidDataException($"'{node.Name}' has {b.Length} biases for {wScales.Length} output channels");
        var scales = wScales.Select(s => xScale * s).ToArray();
        var q = new int[b.Length];
        for (int c = 0; c < b.Length; c++) q[c] = (int)Math.Clamp(Math.Round(b[c] / scales[c]), int.MinValue, int.MaxValue);
        var qName = g.AddInitializer($"{node.Name}/bias_int32", q, DataType.Int32, b.Length);
        var scaleName = g.AddInitializer($"{node.Name}/bias_scales", scales, DataType.Float, b.Length);
        var output = g.Fresh($"{node.Name}/bias_dequantized");
        g.Graph.Node.Insert(0, OnnxGraphEdit.Node("DequantizeLinear", g.Fresh($"{node.Name}/bias_dequantize"), [qName, scaleName], output, 0));
        return output;
    }
}
