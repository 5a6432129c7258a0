using EdramFer.Contracts;
using EdramFer.Training.Model;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Onnx;

/// <summary>The comparison of an export with TorchSharp: both run on one batch, the largest difference per output.</summary>
public static partial class EdramOnnxExporter
{
    /// <summary>
    /// Runs <paramref name="onnxPath"/> with ONNX Runtime and <paramref name="model"/> (eval, no grad) on the same batch
    /// and returns the largest absolute difference per output. Throws when the file lacks an output of the contract.
    /// </summary>
    public static OnnxParity Compare(EdramNet model, string onnxPath, Tensor input, bool flipAveraging = false, double temperature = 1)
    {
        var onnx = RunOnnx(onnxPath, input);
        var torchOut = RunTorch(model, input, flipAveraging, temperature);
        var diffs = new Dictionary<string, double>();
        foreach (var name in OnnxContract.OutputNames)
        {
            if (!onnx.TryGetValue(name, out var a)) throw new InvalidDataException($"'{onnxPath}' has no output '{name}'.");
            var b = torchOut[name];
            if (a.Length != b.Length)
                throw new InvalidDataException($"Output '{name}': ONNX Runtime gave {a.Length} values, TorchSharp {b.Length}.");
            double worst = 0;
            for (int i = 0; i < a.Length; i++)
            {
                double d = Math.Abs((double)a[i] - b[i]);
                if (double.IsNaN(d) || d > worst) worst = double.IsNaN(d) ? double.PositiveInfinity : d;
            }
            diffs[name] = worst;
        }
        return new OnnxParity((int)input.shape[0], diffs);
    }

    /// <summary>
    /// The four contract outputs of TorchSharp eval on <paramref name="input"/>, flattened row-major; with
    /// <paramref name="flipAveraging"/> averaged with the mirrored input's (see <see cref="OnnxExportOptions.FlipAveraging"/>),
    /// the logits divided by <paramref name="temperature"/> before the softmax.
    /// </summary>
    public static Dictionary<string, float[]> RunTorch(EdramNet model, Tensor input, bool flipAveraging = false, double temperature = 1)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var device = model.parameters().First().device;
            var x = input.to(device);
            long n = x.shape[0];
            using var output = model.forward(flipAveraging ? cat([x, x.flip(3)], 0) : x);
            long last = output.StepLogits.shape[1] - 1;
            Tensor Mean(Tensor t) => flipAveraging ? (t.narrow(0, 0, n) + t.narrow(0, n, n)) * 0.5f : t;
            var logits = temperature == 1 ? output.StepLogits : output.StepLogits / (float)temperature;
            return new Dictionary<string, float[]>
            {
                [OnnxContract.ProbabilitiesName] = EdramGraphWriter.Data(Mean(logits.select(1, last).softmax(1))),
                [OnnxContract.ValenceArousalName] = EdramGraphWriter.Data(Mean(output.ValenceArousal.select(1, last))),
                [OnnxContract.GlimpsesName] = EdramGraphWriter.Data(output.Thetas.narrow(0, 0, n)),
                [OnnxContract.StepProbabilitiesName] = EdramGraphWriter.Data(Mean(logits.softmax(2))),
            };
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Every output of an ONNX model run once with ONNX Runtime (CPU) on <paramref name="input"/> as <c>image</c>.</summary>
    public static Dictionary<string, float[]> RunOnnx(string onnxPath, Tensor input)
    {
        var data = EdramGraphWriter.Data(input);
        using var session = new InferenceSession(onnxPath);
        using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
        using var run = new RunOptions();
        var names = session.OutputMetadata.Keys.ToArray();
        using var results = session.Run(run, [OnnxContract.InputName], [value], names);
        var outputs = new Dictionary<string, float[]>();
        for (int i = 0; i < names.Length; i++) outputs[names[i]] = results[i].GetTensorDataAsSpan<float>().ToArray();
        return outputs;
    }

    static OnnxParity CheckParity(EdramNet model, string path, string displayPath, OnnxExportOptions options)
    {
        using var scope = NewDisposeScope();
        var input = options.ValidationInput ?? ParityImages(model.Config.InputSize, options.ValidationBatch, options.ValidationSeed);
        var parity = Compare(model, path, input, options.FlipAveraging, options.Temperature);
        if (parity.Worst > options.Tolerance || double.IsNaN(parity.Worst))
            throw new InvalidDataException(
                $"ONNX export '{displayPath}' does not reproduce TorchSharp within {options.Tolerance:G3} on {parity.Images} images: max abs diff {parity}.");
        return parity;
    }

    /// <summary>
    /// Seeded test images in [0, 1]: smooth random blobs plus noise, so glimpses land on structure rather than flat grey.
    /// </summary>
    public static Tensor ParityImages(int size, int count, int seed)
    {
        using var gen = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        var coarse = rand(new long[] { count, 1, 6, 6 }, generator: gen);
        var smooth = nn.functional.interpolate(coarse, new long[] { size, size }, mode: InterpolationMode.Bilinear, align_corners: false);
        var noise = rand(new long[] { count, 1, size, size }, generator: gen);
        return (smooth * 0.7f + noise * 0.3f).clamp(0f, 1f).MoveToOuterDisposeScope();
    }
}
