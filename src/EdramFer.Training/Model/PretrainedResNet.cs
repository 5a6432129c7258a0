using System.Runtime.InteropServices;
using Onnx;
using static TorchSharp.torch;

namespace EdramFer.Training.Model;

/// <summary>
/// Starts a <see cref="ResNetTrunk"/> from the weights of an ImageNet-trained ResNet in ONNX, such as the
/// <c>ResNet18.onnx</c> that ML.NET's DnnImageFeaturizer.ResNet18 package carries. The file's convolutions are taken in
/// graph order (stem, then per block the shortcut's 1x1 where there is one, then the two 3x3s), each with the batch norm
/// that reads its output; every shape must match the trunk's. The colour stem is made grey by summing its three input
/// channels (a grey pixel is R = G = B). Every step's batch norm starts from the same statistics. Stages the trunk does
/// not have are left out; a trunk block the file does not have is an error.
/// </summary>
public static class PretrainedResNet
{
    /// <summary>The name that stands for ML.NET's ImageNet ResNet-18 in the NuGet packages folder.</summary>
    public const string ResNet18 = "resnet18";

    private const string ResNet18Package = "microsoft.ml.dnnimagefeaturizer.resnet18";

    /// <summary>
    /// <paramref name="nameOrPath"/> as a file: a path as given, or <see cref="ResNet18"/> for the newest
    /// Microsoft.ML.DnnImageFeaturizer.ResNet18 (MIT) in the NuGet packages folder ($NUGET_PACKAGES or ~/.nuget/packages).
    /// </summary>
    public static string Resolve(string nameOrPath)
    {
        if (!nameOrPath.Equals(ResNet18, StringComparison.OrdinalIgnoreCase)) return Path.GetFullPath(nameOrPath);
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var folder = Path.Combine(packages, ResNet18Package);
        var file = Directory.Exists(folder)
            ? Directory.GetDirectories(folder).OrderByDescending(v => System.Version.TryParse(Path.GetFileName(v), out var x) ? x : new System.Version())
                .Select(v => Path.Combine(v, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")).FirstOrDefault(File.Exists)
            : null;
        return file ?? throw new FileNotFoundException(
            $"'{ResNet18}': no ResNet18.onnx under '{folder}'. Restore the NuGet package once, e.g. " +
            "'dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18 --version 0.23.1' in any project, or give the .onnx file's path.");
    }

    /// <summary>Copies the weights; returns how many convolutions were taken from <paramref name="onnxPath"/>.</summary>
    public static int Load(ResNetTrunk trunk, string onnxPath)
    {
        ArgumentNullException.ThrowIfNull(trunk);
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"Pretrained ResNet not found: '{onnxPath}'", onnxPath);
        ModelProto model;
        using (var stream = File.OpenRead(onnxPath)) model = ModelProto.Parser.ParseFrom(stream);
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var norms = graph.Node.Where(n => n.OpType == "BatchNormalization").ToDictionary(n => n.Input[0]);
        var convs = graph.Node.Where(n => n.OpType == "Conv").ToList();
        int next = 0;
        ConvWeights Take(string what)
        {
            if (next >= convs.Count) throw new InvalidDataException($"'{onnxPath}' has {convs.Count} convolutions; the trunk needs more ({what}).");
            var node = convs[next++];
            if (!norms.TryGetValue(node.Output[0], out var bn))
                throw new InvalidDataException($"'{onnxPath}': convolution '{node.Name}' ({what}) is not followed by a batch norm.");
            return new ConvWeights(Tensor(initializers, node.Input[1], onnxPath),
                bn.Input.Skip(1).Select(name => Tensor(initializers, name, onnxPath)).ToArray(), what);
        }

        using var _ = no_grad();
        var stem = Take("stem");
        Copy(stem.Weight.sum(1, keepdim: true), trunk.stem.weight!, "stem", onnxPath);
        foreach (var norm in trunk.stemNorms) CopyNorm(stem, norm);
        for (int i = 0; i < trunk.blocks.Count; i++)
        {
            var block = trunk.blocks[i];
            if (block.down is not null)
            {
                var down = Take($"block {i} shortcut");
                Copy(down.Weight, block.down.weight!, down.What, onnxPath);
                foreach (var norm in block.downNorms) CopyNorm(down, norm);
            }
            var first = Take($"block {i} first 3x3");
            Copy(first.Weight, block.conv1.weight!, first.What, onnxPath);
            foreach (var norm in block.norms1) CopyNorm(first, norm);
            var second = Take($"block {i} second 3x3");
            Copy(second.Weight, block.conv2.weight!, second.What, onnxPath);
            foreach (var norm in block.norms2) CopyNorm(second, norm);
        }
        return next;
    }

    private sealed record ConvWeights(Tensor Weight, Tensor[] Norm, string What);

    private static void CopyNorm(ConvWeights from, TorchSharp.Modules.BatchNorm2d to)
    {
        // ONNX BatchNormalization inputs: scale, bias, mean, variance.
        to.weight!.copy_(from.Norm[0]);
        to.bias!.copy_(from.Norm[1]);
        to.running_mean!.copy_(from.Norm[2]);
        to.running_var!.copy_(from.Norm[3]);
    }

    private static void Copy(Tensor from, Tensor to, string what, string path)
    {
        if (!from.shape.SequenceEqual(to.shape))
            throw new InvalidDataException($"'{path}': {what} has shape ({string.Join(", ", from.shape)}), the trunk expects ({string.Join(", ", to.shape)}).");
        to.copy_(from);
    }

    private static Tensor Tensor(Dictionary<string, TensorProto> initializers, string name, string path)
    {
        if (!initializers.TryGetValue(name, out var t)) throw new InvalidDataException($"'{path}': '{name}' is not an initializer.");
        if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new InvalidDataException($"'{path}': '{name}' is not float32.");
        var values = t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
        return tensor(values, t.Dims.ToArray());
    }
}
