using EdramFer.Contracts;
using EdramFer.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static EdramFer.Training.Onnx.OnnxProto;
using static TorchSharp.torch;

namespace EdramFer.Training.Onnx;

/// <summary>
/// Writes <see cref="EdramNet"/> in eval mode as an ONNX graph unrolled over its T steps, op for op the same
/// arithmetic as <see cref="EdramNet.forward"/>. Batch norm uses each step's running statistics, folded into the
/// preceding Conv/Gemm (default) or emitted as BatchNormalization nodes behind weights shared by all steps.
/// </summary>
internal sealed partial class EdramGraphWriter
{
    private readonly OnnxGraphBuilder g;
    private readonly EdramNet m;
    private readonly EdramConfig c;
    private readonly bool _fold;
    private readonly bool _flipAveraging;
    private readonly double _temperature;

    private EdramGraphWriter(EdramNet model, int opset, bool foldBatchNorm, bool flipAveraging, double temperature)
    {
        _temperature = temperature;
        g = new OnnxGraphBuilder(opset);
        m = model;
        c = model.Config;
        _fold = foldBatchNorm;
        _flipAveraging = flipAveraging;
    }

    /// <summary>
    /// Builds the graph (inputs, outputs, initializers) of <paramref name="model"/>. With <paramref name="flipAveraging"/>
    /// the network runs on the image and its mirror (one batch of 2N) and the outputs are averaged, see
    /// <see cref="OnnxExportOptions.FlipAveraging"/>.
    /// </summary>
    public static OnnxGraphBuilder Write(EdramNet model, int opset, bool foldBatchNorm, bool flipAveraging = false, double temperature = 1)
    {
        var w = new EdramGraphWriter(model, opset, foldBatchNorm, flipAveraging, temperature);
        using (no_grad()) w.WriteGraph();
        return w.g;
    }

    private void WriteGraph()
    {
        int s = c.InputSize;
        var input = g.AddInput(OnnxContract.InputName, "N", 1, s, s);
        string image = input, half = "";
        if (_flipAveraging)
            using (g.Scope("flip"))
            {
                // Rows [0, N) are the images, [N, 2N) their mirrors; `half` is N as a 1-D int64.
                var mirrored = g.Op("Slice", "mirror", [input, g.Int64s(-1), g.Int64s(long.MinValue), g.Int64s(3), g.Int64s(-1)]);
                image = g.Op("Concat", "batch", [input, mirrored], MakeAttribute("axis", 0L));
                half = g.Op("Slice", "n", [g.Op("Shape", "shape", [input]), g.Int64s(0), g.Int64s(1), g.Int64s(0)]);
            }
        string h2;
        using (g.Scope("context")) h2 = Context(image);
        string? h1 = null, c1 = null, c2 = null;
        var thetas = new List<string>();
        var probs = new List<string>();
        string va = "";
        for (int t = 0; t < c.Steps; t++)
        {
            using var step = g.Scope($"step{t}");
            var theta = Emission(h2);                                         // (N, 6)
            var patch = GlimpseSensor(image, theta);                          // (N, 1, g, g)
            string features;
            using (g.Scope("glimpse")) features = Glimpse(patch, theta, t);   // (N, F)
            (h1, c1) = Lstm("classifier_rnn", m.classifierRnn, features, h1, c1);
            // The last step's localisation update feeds no output: EdramNet computes it, the graph may skip it.
            if (t < c.Steps - 1) (h2, c2) = Lstm("localiser_rnn", m.localiserRnn, h1, h2, c2);
            string logits;
            using (g.Scope("mlp")) logits = Mlp(h1, t);                       // (N, C)
            if (_temperature != 1) logits = g.Op("Div", "calibrated", [logits, g.Initializer("temperature", [(float)_temperature])]);
            probs.Add(g.Op("Softmax", "probabilities", [logits], MakeAttribute("axis", 1L)));
            thetas.Add(theta);
            if (t == c.Steps - 1)
                using (g.Scope("valence_arousal")) va = ValenceArousal(h1);   // (N, 2)
        }
        var stepProbs = StackSteps("step_probabilities", probs);             // (N, T, C)
        var glimpses = StackSteps("glimpses", thetas);                       // (N, T, 6)
        var last = probs[^1];
        if (_flipAveraging)
            using (g.Scope("flip"))
            {
                last = MeanOfHalves("probabilities", last, half);
                va = MeanOfHalves("valence_arousal", va, half);
                stepProbs = MeanOfHalves("step_probabilities", stepProbs, half);
                glimpses = g.Op("Slice", "glimpses", [glimpses, g.Int64s(0), half, g.Int64s(0)]); // the image's own glimpses
            }
        g.AddOutput(OnnxContract.ProbabilitiesName, last, "N", c.Classes);
        g.AddOutput(OnnxContract.ValenceArousalName, va, "N", 2);
        g.AddOutput(OnnxContract.GlimpsesName, glimpses, "N", c.Steps, 6);
        g.AddOutput(OnnxContract.StepProbabilitiesName, stepProbs, "N", c.Steps, c.Classes);
    }

    /// <summary>(x[0:N] + x[N:2N]) / 2 along the batch axis.</summary>
    private string MeanOfHalves(string hint, string x, string half)
    {
        var first = g.Op("Slice", $"{hint}_image", [x, g.Int64s(0), half, g.Int64s(0)]);
        var second = g.Op("Slice", $"{hint}_mirror", [x, half, g.Int64s(long.MaxValue), g.Int64s(0)]);
        return g.Op("Mul", hint, [g.Op("Add", $"{hint}_sum", [first, second]), g.Initializer($"{hint}_half", [0.5f])]);
    }

    // ---- context network -------------------------------------------------------------------------------------

    private string Context(string image)
    {
        var net = m.context;
        // adaptive_avg_pool2d(S → size) as P · X · Pᵀ: exact windows, also when S/size is not an integer.
        var pool = AdaptivePoolMatrix(c.InputSize, net._size);
        var p = g.Initializer("pool_rows", pool, net._size, c.InputSize);
        var pt = g.Initializer("pool_cols", Transpose(pool, net._size, c.InputSize), c.InputSize, net._size);
        var x = g.Op("MatMul", "pool_h", [p, image]);                        // (N, 1, 12, S)
        x = g.Op("MatMul", "pool", [x, pt]);                                 // (N, 1, 12, 12)
        x = g.Op("Relu", "relu1", [ConvBn("conv1", x, net.conv1, net.bn1, 0)]);
        x = g.Op("Relu", "relu2", [ConvBn("conv2", x, net.conv2, net.bn2, 0)]);
        x = g.Op("Relu", "relu3", [ConvBn("conv3", x, net.conv3, net.bn3, 0)]);
        x = g.Op("Flatten", "flatten", [x], MakeAttribute("axis", 1L));
        return net.project is Linear project ? Gemm("project", x, project) : x;
    }

    /// <summary>PyTorch adaptive average pooling as a matrix: row i averages [floor(i·n/k), ceil((i+1)·n/k)).</summary>
    internal static float[] AdaptivePoolMatrix(int n, int k)
    {
        var pm = new float[k * n];
        for (int i = 0; i < k; i++)
        {
            int start = (int)Math.Floor((double)i * n / k), end = (int)Math.Ceiling((double)(i + 1) * n / k);
            for (int j = start; j < end; j++) pm[i * n + j] = 1f / (end - start);
        }
        return pm;
    }

    // ---- glimpse network ------------------------------------------------------------------------------------

    private string Glimpse(string patch, string theta, int t)
    {
        var net = m.glimpse;
        var x = net.resnet is { } resnet ? ResNet(patch, resnet, t) : patch;
        for (int layer = 0; layer < net.convs.Count; layer++)
        {
            var conv = net.convs[layer];
            var pads = conv.padding ?? throw new NotSupportedException($"Glimpse conv {layer} uses a padding mode the exporter does not handle.");
            int pad = checked((int)pads[0]);
            x = g.Op("Relu", $"relu{layer}", [ConvBn($"conv{layer}", x, conv, net.convNorms[layer][t], pad)]);
            if (layer is 1 or 3)
                x = g.Op("MaxPool", $"pool{layer}", [x], MakeAttribute("kernel_shape", [2L, 2]), MakeAttribute("strides", [2L, 2]));
        }
        x = g.Op("Flatten", "flatten", [x], MakeAttribute("axis", 1L));
        var what = g.Op("Relu", "what_relu", [GemmBn("what", x, net.what, net.whatNorms[t])]);
        var whereLinear = net.whereNorms.Count == 0 ? Gemm("where", theta, net.where) : GemmBn("where", theta, net.where, net.whereNorms[t]);
        var where = g.Op("Relu", "where_relu", [whereLinear]);
        return g.Op("Mul", "features", [what, where]);
    }

    // ---- recurrent cells and heads --------------------------------------------------------------------------

    /// <summary>PyTorch LSTMCell: gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh in order (i, f, g, o). Null h or c means zeros.</summary>
    private (string H, string C) Lstm(string name, LSTMCell cell, string x, string? h, string? cPrev)
    {
        using var scope = g.Scope(name);
        int hidden = checked((int)cell.weight_hh!.shape[1]);
        var wih = Shared(cell.weight_ih!, $"{name}/weight_ih");
        var bias = g.SharedInitializer($"{name}/bias", () =>
        {
            var b = Data(cell.bias_ih!).Zip(Data(cell.bias_hh!), (a, b2) => a + b2).ToArray();
            return (b, [b.Length]);
        });
        var gates = g.Op("Gemm", "gates_x", [x, wih, bias], MakeAttribute("transB", 1L));
        // Gemm's C input carries the input half, so the hidden half adds without an extra node.
        if (h != null) gates = g.Op("Gemm", "gates", [h, Shared(cell.weight_hh!, $"{name}/weight_hh"), gates], MakeAttribute("transB", 1L));
        var parts = g.OpMulti("Split", "split", [gates, g.Int64s(hidden, hidden, hidden, hidden)], ["i", "f", "g", "o"],
            MakeAttribute("axis", 1L));
        var i = g.Op("Sigmoid", "input_gate", [parts[0]]);
        var f = g.Op("Sigmoid", "forget_gate", [parts[1]]);
        var cand = g.Op("Tanh", "candidate", [parts[2]]);
        var o = g.Op("Sigmoid", "output_gate", [parts[3]]);
        var c = g.Op("Mul", "input_term", [i, cand]);
        if (cPrev != null) c = g.Op("Add", "c", [g.Op("Mul", "forget_term", [f, cPrev]), c]);
        var hNew = g.Op("Mul", "h", [o, g.Op("Tanh", "tanh_c", [c])]);
        return (hNew, c);
    }

    private string Mlp(string h1, int t)
    {
        var x = g.Op("Relu", "relu1", [GemmBn("fc1", h1, m.mlp1, m.mlp1Norms[t])]);
        x = g.Op("Relu", "relu2", [GemmBn("fc2", x, m.mlp2, m.mlp2Norms[t])]);
        return Gemm("logits", x, m.classes);
    }

    private string ValenceArousal(string h1)
    {
        var x = g.Op("Relu", "relu", [Gemm("fc1", h1, m.va1)]);
        return g.Op("Tanh", "tanh", [Gemm("fc2", x, m.va2)]);
    }

    private string StackSteps(string name, List<string> perStep)
    {
        using var scope = g.Scope(name);
        var axis = g.Int64s(1);
        var expanded = perStep.Select((v, t) => g.Op("Unsqueeze", $"step{t}", [v, axis])).ToArray();
        return g.Op("Concat", "concat", expanded, MakeAttribute("axis", 1L));
    }
}
