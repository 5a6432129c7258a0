using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace EdramFer.ML.Quantization;

/// <summary>
/// What the quantizer needs to read and rewrite a graph: initializers by name, producers and consumers of each tensor,
/// typed initializer reading and writing, and unique names. Node order stays topological because every node it adds is
/// inserted right after the node that produces its input.
/// </summary>
internal sealed class OnnxGraphEdit
{
    private readonly HashSet<string> _names;

    public OnnxGraphEdit(GraphProto graph)
    {
        Graph = graph;
        Initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        _names = new HashSet<string>(graph.Node.SelectMany(n => n.Output).Concat(Initializers.Keys).Concat(graph.Input.Select(i => i.Name)),
            StringComparer.Ordinal);
    }

    public GraphProto Graph { get; }

    public Dictionary<string, TensorProto> Initializers { get; }

    /// <summary>The graph's output names (never renamed: they are the model's contract).</summary>
    public IReadOnlySet<string> Outputs { get; }

    /// <summary>Nodes reading <paramref name="tensor"/>.</summary>
    public List<NodeProto> Consumers(string tensor) => Graph.Node.Where(n => n.Input.Contains(tensor)).ToList();

    /// <summary>The node writing <paramref name="tensor"/>, or null for inputs and initializers.</summary>
    public NodeProto? Producer(string tensor) => Graph.Node.FirstOrDefault(n => n.Output.Contains(tensor));

    /// <summary>A name not used in the graph yet, from <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        var name = hint;
        for (int i = 1; !_names.Add(name); i++) name = $"{hint}_{i}";
        return name;
    }

    /// <summary>An initializer's values as float32 (raw or typed storage).</summary>
    public float[] Floats(string name)
    {
        var t = Initializers[name];
        if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new InvalidDataException($"initializer '{name}' is not float32");
        return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
    }

    /// <summary>Adds an initializer under a fresh name from <paramref name="hint"/>; returns the name.</summary>
    public string AddInitializer<T>(string hint, ReadOnlySpan<T> values, TensorProto.Types.DataType type, params long[] dims) where T : struct
    {
        var t = new TensorProto { Name = Fresh(hint), DataType = (int)type, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        t.Dims.AddRange(dims);
        Graph.Initializer.Add(t);
        Initializers[t.Name] = t;
        return t.Name;
    }

    /// <summary>Inserts <paramref name="nodes"/>, in order, right after the producer of <paramref name="tensor"/> (first for inputs).</summary>
    public void InsertAfter(string tensor, params NodeProto[] nodes)
    {
        var producer = Producer(tensor);
        int at = producer is null ? 0 : Graph.Node.IndexOf(producer) + 1;
        foreach (var node in nodes) Graph.Node.Insert(at++, node);
    }

    /// <summary>Removes initializers no node reads any more.</summary>
    public void DropUnusedInitializers()
    {
        var used = Graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var t in Graph.Initializer.Where(t => !used.Contains(t.Name)).ToList())
        {
            Graph.Initializer.Remove(t);
            Initializers.Remove(t.Name);
        }
    }

    /// <summary>An integer attribute of <paramref name="node"/>, or <paramref name="fallback"/>.</summary>
    public static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    /// <summary>A float attribute of <paramref name="node"/>, or <paramref name="fallback"/>.</summary>
    public static float Float(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    public static NodeProto Node(string op, string name, IEnumerable<string> inputs, string output, long? axis = null)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (axis is long x) node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = x });
        return node;
    }
}
