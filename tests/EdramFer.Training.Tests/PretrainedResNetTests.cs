using EdramFer.Tests.Shared;
using Google.Protobuf;
using EdramFer.Training.Model;
using EdramFer.Training.Onnx;
using Onnx;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

/// <summary>
/// <see cref="PretrainedResNet"/> on an ONNX file laid out like ML.NET's ResNet18.onnx (a colour 7x7 stem; per block
/// the shortcut's 1x1 convolution before the two 3x3s; a BatchNormalization after every Conv) with seeded weights.
/// </summary>
public sealed class PretrainedResNetTests : IDisposable
{
    readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    static EdramConfig Config(int[] blocks) => TestModels.Tiny(steps: 3) with { GlimpseNet = GlimpseNetKind.ResNet, ResNetBlocks = blocks, GlimpseSize = 32 };

    [Fact]
    public void Load_ResNetLayout_CopiesEveryConvolutionAndNormToEveryStep()
    {
        var (path, weights) = WriteResNet(_dir.File("resnet.onnx"), stemInputs: 3);
        using var trunk = new ResNetTrunk(Config([1, 1]));
        Assert.Equal(6, PretrainedResNet.Load(trunk, path));

        // A grey pixel is R = G = B: the grey stem is the colour stem summed over its input channels.
        AssertClose(weights["stem"].Weight.sum(1, keepdim: true), trunk.stem.weight!);
        var (b0, b1) = (trunk.blocks[0], trunk.blocks[1]);
        Assert.Null(b0.down);
        AssertClose(weights["b0c1"].Weight, b0.conv1.weight!);
        AssertClose(weights["b0c2"].Weight, b0.conv2.weight!);
        AssertClose(weights["b1down"].Weight, b1.down!.weight!);
        AssertClose(weights["b1c1"].Weight, b1.conv1.weight!);
        AssertClose(weights["b1c2"].Weight, b1.conv2.weight!);
        for (int step = 0; step < 3; step++)
        {
            var (scale, bias, mean, variance) = weights["b1c1"].Norm;
            var bn = b1.norms1[step];
            AssertClose(scale, bn.weight!);
            AssertClose(bias, bn.bias!);
            AssertClose(mean, bn.running_mean!);
            AssertClose(variance, bn.running_var!);
            AssertClose(weights["stem"].Norm.Mean, trunk.stemNorms[step].running_mean!);
            AssertClose(weights["b1down"].Norm.Variance, b1.downNorms[step].running_var!);
        }
    }

    [Fact]
    public void Load_TrunkWithFewerStages_TakesTheFirstOnes()
    {
        var (path, weights) = WriteResNet(_dir.File("resnet.onnx"), stemInputs: 3);
        using var trunk = new ResNetTrunk(Config([1]));
        Assert.Equal(3, PretrainedResNet.Load(trunk, path));
        AssertClose(weights["b0c2"].Weight, trunk.blocks[0].conv2.weight!);
    }

    [Fact]
    public void Load_TrunkDeeperThanTheFile_ThrowsNamingTheBlock()
    {
        var (path, _) = WriteResNet(_dir.File("resnet.onnx"), stemInputs: 3);
        using var trunk = new ResNetTrunk(Config([1, 1, 1]));
        var e = Assert.Throws<InvalidDataException>(() => PretrainedResNet.Load(trunk, path));
        Assert.Contains("block 2 shortcut", e.Message);
    }

    [Fact]
    public void Load_BlocksInAnotherLayout_ThrowsNamingTheShapes()
    {
        var (path, _) = WriteResNet(_dir.File("resnet.onnx"), stemInputs: 3);
        using var trunk = new ResNetTrunk(Config([2, 1]));   // the file's second block is a stride-2 one
        var e = Assert.Throws<InvalidDataException>(() => PretrainedResNet.Load(trunk, path));
        Assert.Contains("block 1 first 3x3 has shape (128, 64, 1, 1), the trunk expects (64, 64, 3, 3)", e.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        using var trunk = new ResNetTrunk(Config([1]));
        Assert.Throws<FileNotFoundException>(() => PretrainedResNet.Load(trunk, _dir.File("absent.onnx")));
    }

    [Fact]
    public void Resolve_ResNet18_FindsTheNewestPackageOrSaysHowToRestoreIt()
    {
        var previous = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        try
        {
            var packages = _dir.File("packages");
            Environment.SetEnvironmentVariable("NUGET_PACKAGES", packages);
            var e = Assert.Throws<FileNotFoundException>(() => PretrainedResNet.Resolve("resnet18"));
            Assert.Contains("dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18", e.Message);
            foreach (var version in new[] { "0.9.0", "0.23.1", "0.24.0-preview" })
            {
                var folder = Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", version, "tools", "DnnImageModels", "ResNet18Onnx");
                Directory.CreateDirectory(folder);
                if (version != "0.24.0-preview") File.WriteAllText(Path.Combine(folder, "ResNet18.onnx"), version);
            }
            Assert.Equal("0.23.1", File.ReadAllText(PretrainedResNet.Resolve("ResNet18")));
            Assert.Equal(Path.GetFullPath("x.onnx"), PretrainedResNet.Resolve("x.onnx"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NUGET_PACKAGES", previous);
        }
    }

    sealed record Conv(Tensor Weight, (Tensor Scale, Tensor Bias, Tensor Mean, Tensor Variance) Norm);

    /// <summary>stem (64×C×7×7), block 0 (64→64), block 1 (64→128, stride 2: shortcut first), seeded values.</summary>
    static (string Path, Dictionary<string, Conv> Weights) WriteResNet(string path, int stemInputs)
    {
        var generator = new TorchSharp.torch.Generator(11);
        var layers = new (string Name, long[] Shape)[]
        {
            ("stem", [64, stemInputs, 7, 7]), ("b0c1", [64, 64, 3, 3]), ("b0c2", [64, 64, 3, 3]),
            ("b1down", [128, 64, 1, 1]), ("b1c1", [128, 64, 3, 3]), ("b1c2", [128, 128, 3, 3]),
        };
        var graph = new GraphProto { Name = "resnet" };
        var weights = new Dictionary<string, Conv>();
        var input = "image";
        foreach (var (name, shape) in layers)
        {
            long n = shape[0];
            var conv = new Conv(randn(shape, generator: generator),
                (rand(n, generator: generator) + 0.5, randn(n, generator: generator), randn(n, generator: generator), rand(n, generator: generator) + 0.1));
            weights[name] = conv;
            string[] bnInputs = [$"{name}/scale", $"{name}/bias", $"{name}/mean", $"{name}/var"];
            Tensor[] bnValues = [conv.Norm.Scale, conv.Norm.Bias, conv.Norm.Mean, conv.Norm.Variance];
            graph.Initializer.Add(OnnxProto.MakeTensor($"{name}/weight", Floats(conv.Weight), shape));
            for (int k = 0; k < 4; k++) graph.Initializer.Add(OnnxProto.MakeTensor(bnInputs[k], Floats(bnValues[k]), n));
            graph.Node.Add(OnnxProto.MakeNode("Conv", [input, $"{name}/weight"], [$"{name}/conv"], name));
            graph.Node.Add(OnnxProto.MakeNode("BatchNormalization", [$"{name}/conv", .. bnInputs], [$"{name}/bn"], $"{name}_bn"));
            input = $"{name}/bn";
        }
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        using (var stream = File.Create(path)) model.WriteTo(stream);
        return (path, weights);
    }

    static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();

    static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(expected, actual.detach(), rtol: 1e-5, atol: 1e-6), "values differ");
    }
}
