using System.Runtime.InteropServices;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Vision;
using Google.Protobuf;
using Onnx;

namespace EdramFer.Fuzz.Seeds;

/// <summary>
/// A 2 KB ONNX model with an EDRAM model's signature and metadata (4x4 input, 3 labels, 2 glimpses) but a few linear
/// layers for a network: what <see cref="EdramModelInfo.Read(string)"/> and <see cref="EdramPipeline.Load"/> accept,
/// small enough to be a seed and fast enough to load thousands of times. The bytes are the same on every run.
/// </summary>
public static class TinyEdramModel
{
    /// <summary>Side of the square input.</summary>
    public const int InputSize = 4;

    /// <summary>The model's labels.</summary>
    public static readonly string[] Labels = ["angry", "happy", "neutral"];

    private const int Steps = 2;

    /// <summary>The serialised model; <paramref name="metadata"/> replaces the default metadata when given.</summary>
    public static byte[] Bytes(IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = new GraphProto { Name = "tiny-edram" };
        int c = Labels.Length, pixels = InputSize * InputSize;
        graph.Input.Add(Value(OnnxContract.InputName, "N", 1, InputSize, InputSize));
        graph.Node.Add(Node("Flatten", [OnnxContract.InputName], ["flat"], Int("axis", 1)));
        Linear(graph, "p", pixels, c);
        graph.Node.Add(Node("Softmax", ["p"], [OnnxContract.ProbabilitiesName], Int("axis", -1)));
        Linear(graph, "va", pixels, 2);
        graph.Node.Add(Node("Tanh", ["va"], [OnnxContract.ValenceArousalName]));
        Linear(graph, "g", pixels, Steps * 6);
        Reshape(graph, "g", OnnxContract.GlimpsesName, 6);
        Linear(graph, "s", pixels, Steps * c);
        Reshape(graph, "s", "s3", c);
        graph.Node.Add(Node("Softmax", ["s3"], [OnnxContract.StepProbabilitiesName], Int("axis", -1)));
        graph.Output.Add(Value(OnnxContract.ProbabilitiesName, "N", c));
        graph.Output.Add(Value(OnnxContract.ValenceArousalName, "N", 2));
        graph.Output.Add(Value(OnnxContract.GlimpsesName, "N", Steps, 6));
        graph.Output.Add(Value(OnnxContract.StepProbabilitiesName, "N", Steps, c));

        var model = new ModelProto { IrVersion = 8, ProducerName = "EdramFer.Fuzz", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        foreach (var (key, value) in metadata ?? Metadata())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model.ToByteArray();
    }

    /// <summary>The metadata an export of this shape carries: <c>edram.*</c> and the preprocessing (no detector, 4x4).</summary>
    public static SortedDictionary<string, string> Metadata()
    {
        var meta = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [OnnxContract.Metadata.Labels] = string.Join(",", Labels),
            [OnnxContract.Metadata.Steps] = Steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [OnnxContract.Metadata.InputSize] = InputSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [OnnxContract.Metadata.InputScale] = "0.003921569",
            [OnnxContract.Metadata.InputOffset] = "0",
            [OnnxContract.Metadata.HasValenceArousal] = "false",
        };
        foreach (var (key, value) in new PreprocessOptions { Detectors = [], OutputSize = InputSize }.ToMetadata()) meta[key] = value;
        return meta;
    }

    /// <summary>flat (N, inputs) × W (inputs, outputs) → <paramref name="name"/>; weights are a fixed, varied pattern.</summary>
    private static void Linear(GraphProto graph, string name, int inputs, int outputs)
    {
        var weights = new float[inputs * outputs];
        for (var i = 0; i < weights.Length; i++) weights[i] = ((i * 37 + name.Length) % 19 - 9) / 64f; // exact in binary: the same bytes everywhere
        var w = new TensorProto { Name = name + "_w", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(weights.AsSpan())) };
        w.Dims.AddRange([inputs, outputs]);
        graph.Initializer.Add(w);
        graph.Node.Add(Node("MatMul", ["flat", w.Name], [name]));
    }

    /// <summary>(N, Steps·last) → (N, Steps, last).</summary>
    private static void Reshape(GraphProto graph, string input, string output, int last)
    {
        var shape = new TensorProto { Name = output + "_shape", DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes<long>([-1, Steps, last])) };
        shape.Dims.Add(3);
        graph.Initializer.Add(shape);
        graph.Node.Add(Node("Reshape", [input, shape.Name], [output]));
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] + "_" + op.ToLowerInvariant(), Domain = "" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float32 tensor value; a dimension is a size or a symbolic name.</summary>
    private static ValueInfoProto Value(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
