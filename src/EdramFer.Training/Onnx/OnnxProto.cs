using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace EdramFer.Training.Onnx;

/// <summary>
/// Stateless helpers that make ONNX protobuf messages (the lower of the two builder layers, after ONNX's
/// <c>onnx.helper</c> and ML.NET's OnnxUtils). Standard operators only, domain "".
/// </summary>
public static class OnnxProto
{
    /// <summary>A node of the standard domain.</summary>
    public static NodeProto MakeNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name,
        params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name, Domain = "" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>An int attribute.</summary>
    public static AttributeProto MakeAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto MakeAttribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A string attribute (UTF-8).</summary>
    public static AttributeProto MakeAttribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>An ints attribute.</summary>
    public static AttributeProto MakeAttribute(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float32 tensor; <paramref name="values"/> must hold exactly the product of <paramref name="dims"/> elements.</summary>
    public static TensorProto MakeTensor(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        CheckCount(name, values.Length, dims);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        // raw_data is little-endian; .NET on x64/arm64 is too, so the bytes copy as they are.
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return t;
    }

    /// <summary>An int64 tensor (shapes, axes, split sizes).</summary>
    public static TensorProto MakeTensor(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        CheckCount(name, values.Length, dims);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return t;
    }

    /// <summary>A bool tensor (one byte per element).</summary>
    public static TensorProto MakeTensor(string name, ReadOnlySpan<bool> values, params long[] dims)
    {
        CheckCount(name, values.Length, dims);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Bool };
        t.Dims.AddRange(dims);
        var bytes = new byte[values.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = values[i] ? (byte)1 : (byte)0;
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    /// <summary>A float32 graph input or output; a dimension is a size (long) or a symbolic name (string, e.g. "N").</summary>
    public static ValueInfoProto MakeFloatValueInfo(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                _ => throw new ArgumentException($"Dimension of '{name}' must be a string or an integer, got {d?.GetType().Name ?? "null"}."),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    static void CheckCount(string name, int count, long[] dims)
    {
        long expected = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}': negative dimension in [{string.Join(", ", dims)}].");
            expected *= d;
        }
        if (expected != count)
            throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", dims)}] needs {expected} elements, got {count}.");
    }
}
