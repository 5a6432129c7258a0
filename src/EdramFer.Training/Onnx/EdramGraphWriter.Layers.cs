using EdramFer.Contracts;
using EdramFer.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static EdramFer.Training.Onnx.OnnxProto;
using static TorchSharp.torch;

namespace EdramFer.Training.Onnx;

/// <summary>The layer-level writers: Linear and Conv with their batch norms (folded or as nodes), shared weights.</summary>
internal sealed partial class EdramGraphWriter
{
    /// <summary>Linear without batch norm; its weights are shared by every step.</summary>
    private string Gemm(string hint, string x, Linear linear)
    {
        var w = Shared(linear.weight!, $"{Root(hint)}/weight");
        var b = linear.bias is null ? null : Shared(linear.bias, $"{Root(hint)}/bias");
        return g.Op("Gemm", hint, b is null ? [x, w] : [x, w, b], MakeAttribute("transB", 1L));
    }

    /// <summary>Linear then eval batch norm: folded into one Gemm per step, or a shared Gemm plus BatchNormalization.</summary>
    private string GemmBn(string hint, string x, Linear linear, BatchNorm1d bn)
    {
        if (!_fold)
            return BatchNormNode(hint, Gemm(hint, x, linear), bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps);
        var (w, b) = Fold(linear.weight!, linear.bias, bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps);
        var wName = g.Initializer($"{hint}/weight", w, linear.weight!.shape);
        var bName = g.Initializer($"{hint}/bias", b, b.Length);
        return g.Op("Gemm", hint, [x, wName, bName], MakeAttribute("transB", 1L));
    }

    /// <summary>Conv2d then eval batch norm, folded or as a BatchNormalization node.</summary>
    private string ConvBn(string hint, string x, Conv2d conv, BatchNorm2d bn, int pad, int stride = 1)
    {
        var wt = conv.weight!;
        var attrs = new[]
        {
            MakeAttribute("kernel_shape", [wt.shape[2], wt.shape[3]]),
            MakeAttribute("pads", [(long)pad, pad, pad, pad]),
            MakeAttribute("strides", [(long)stride, stride]),
        };
        if (!_fold)
        {
            var ws = Shared(wt, $"{Root(hint)}/weight");
            var inputs = conv.bias is null ? new[] { x, ws } : [x, ws, Shared(conv.bias, $"{Root(hint)}/bias")];
            return BatchNormNode(hint, g.Op("Conv", hint, inputs, attrs), bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps);
        }
        var (w, b) = Fold(wt, conv.bias, bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps);
        var wName = g.Initializer($"{hint}/weight", w, wt.shape);
        var bName = g.Initializer($"{hint}/bias", b, b.Length);
        return g.Op("Conv", hint, [x, wName, bName], attrs);
    }

    private string BatchNormNode(string hint, string x, Tensor? gamma, Tensor? beta, Tensor mean, Tensor var, double eps)
    {
        int n = checked((int)mean.shape[0]);
        var scale = gamma is null ? Enumerable.Repeat(1f, n).ToArray() : Data(gamma);
        var shift = beta is null ? new float[n] : Data(beta);
        return g.Op("BatchNormalization", $"{hint}_bn",
            [x, g.Initializer($"{hint}_bn/scale", scale, n), g.Initializer($"{hint}_bn/bias", shift, n),
             g.Initializer($"{hint}_bn/mean", Data(mean), n), g.Initializer($"{hint}_bn/var", Data(var), n)],
            MakeAttribute("epsilon", (float)eps));
    }

    /// <summary>
    /// Eval batch norm folded into the layer before it, in double: W' = W·s, b' = (b − μ)·s + β with s = γ/√(σ² + ε),
    /// per output channel (first weight dimension).
    /// </summary>
    internal static (float[] W, float[] B) Fold(Tensor weight, Tensor? bias, Tensor? gamma, Tensor? beta, Tensor mean, Tensor var, double eps)
    {
        var w = Data(weight);
        int outputs = checked((int)weight.shape[0]), per = w.Length / outputs;
        float[] mu = Data(mean), sigma2 = Data(var);
        float[]? b = bias is null ? null : Data(bias), ga = gamma is null ? null : Data(gamma), be = beta is null ? null : Data(beta);
        if (mu.Length != outputs) throw new ArgumentException($"Batch norm has {mu.Length} channels, the layer before it {outputs}.");
        var wf = new float[w.Length];
        var bf = new float[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double s = (ga?[o] ?? 1.0) / Math.Sqrt(sigma2[o] + eps);
            for (int k = 0; k < per; k++) wf[o * per + k] = (float)(w[o * per + k] * s);
            bf[o] = (float)(((b?[o] ?? 0.0) - mu[o]) * s + (be?[o] ?? 0.0));
        }
        return (wf, bf);
    }

    private string Shared(Tensor parameter, string name) =>
        g.SharedInitializer(name, () => (Data(parameter), parameter.shape));

    /// <summary>Scope path without the step prefix, for weights shared by all steps (step0/mlp/fc1 → mlp/fc1).</summary>
    private string Root(string hint)
    {
        var parts = g.ScopePath.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !(p.StartsWith("step") && int.TryParse(p.AsSpan(4), out _)))
            .Append(hint);
        return string.Join('/', parts);
    }

    /// <summary>A tensor's values as float32 on the CPU, row-major.</summary>
    internal static float[] Data(Tensor t)
    {
        using var cpu = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return cpu.data<float>().ToArray();
    }

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++) t[k * rows + r] = a[r * cols + k];
        return t;
    }
}
