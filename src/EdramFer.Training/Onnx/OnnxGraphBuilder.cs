using Onnx;
using static EdramFer.Training.Onnx.OnnxProto;

namespace EdramFer.Training.Onnx;

/// <summary>
/// The upper builder layer: collects nodes, initializers, inputs and outputs of one graph and hands out unique,
/// readable names from a scope stack (<c>step3/glimpse/conv2</c>). Element counts are checked when a tensor is
/// added; the finished model is checked by loading it back (see <see cref="EdramOnnxExporter"/>).
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly List<NodeProto> _nodes = new();
    private readonly List<TensorProto> _initializers = new();
    private readonly List<ValueInfoProto> _inputs = new(), _outputs = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Stack<string> _scopes = new();
    private readonly Dictionary<string, string> _int64Constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _shared = new(StringComparer.Ordinal);

    /// <summary>Creates a builder for the given opset of the standard domain.</summary>
    public OnnxGraphBuilder(int opset)
    {
        if (opset < 1) throw new ArgumentOutOfRangeException(nameof(opset), opset, "Opset must be positive.");
        Opset = opset;
    }

    /// <summary>Opset of the standard domain the graph is written for.</summary>
    public int Opset { get; }

    /// <summary>Number of nodes so far.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Total number of initializer elements (parameters and constants) so far.</summary>
    public long InitializerElements => _initializers.Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));

    /// <summary>The open scopes joined by '/', outermost first ("" at the top level).</summary>
    public string ScopePath => string.Join('/', _scopes.Reverse());

    /// <summary>Opens a name scope; names made until the returned handle is disposed are prefixed with it.</summary>
    public IDisposable Scope(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/'))
            throw new ArgumentException($"Scope name must be non-empty and free of '/', got '{name}'.", nameof(name));
        _scopes.Push(name);
        return new PopScope(_scopes, name);
    }

    /// <summary>A name not used before: the current scope path plus <paramref name="hint"/>, with a numeric suffix on collision.</summary>
    public string UniqueName(string hint)
    {
        var prefix = ScopePath;
        var name = prefix.Length == 0 ? hint : $"{prefix}/{hint}";
        if (_names.Add(name)) return name;
        for (int i = 1; ; i++)
            if (_names.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    /// <summary>Declares a float32 graph input.</summary>
    public string AddInput(string name, params object[] dims)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"Graph input name '{name}' is already used.");
        _inputs.Add(MakeFloatValueInfo(name, dims));
        return name;
    }

    /// <summary>Declares a float32 graph output produced by an Identity of <paramref name="value"/>, so the output has its contract name.</summary>
    public string AddOutput(string name, string value, params object[] dims)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"Graph output name '{name}' is already used.");
        _nodes.Add(MakeNode("Identity", [value], [name], name));
        _outputs.Add(MakeFloatValueInfo(name, dims));
        return name;
    }

    /// <summary>Adds a float32 initializer; the element count must match <paramref name="dims"/>.</summary>
    public string Initializer(string hint, ReadOnlySpan<float> values, params long[] dims)
    {
        var name = UniqueName(hint);
        _initializers.Add(MakeTensor(name, values, dims));
        return name;
    }

    /// <summary>Adds a bool initializer.</summary>
    public string Initializer(string hint, ReadOnlySpan<bool> values, params long[] dims)
    {
        var name = UniqueName(hint);
        _initializers.Add(MakeTensor(name, values, dims));
        return name;
    }

    /// <summary>
    /// One initializer per <paramref name="name"/>, outside any scope: weights used by every unrolled step are stored
    /// once. <paramref name="make"/> runs on the first request only. (Keyed by name: TorchSharp hands out a new wrapper
    /// object for a parameter on every property read, so object identity would not find the earlier copy.)
    /// </summary>
    public string SharedInitializer(string name, Func<(float[] Values, long[] Dims)> make)
    {
        if (_shared.TryGetValue(name, out var existing)) return existing;
        var (values, dims) = make();
        return _shared[name] = AtRoot(() => Initializer(name, values, dims));
    }

    /// <summary>A boolean 1-D constant stored once under <paramref name="name"/>, outside any scope.</summary>
    public string SharedInitializer(string name, bool[] values)
    {
        if (_shared.TryGetValue(name, out var existing)) return existing;
        return _shared[name] = AtRoot(() => Initializer(name, values, values.Length));
    }

    /// <summary>Runs <paramref name="make"/> with no scope open, so the names it takes are not prefixed by a step.</summary>
    private string AtRoot(Func<string> make)
    {
        var saved = _scopes.ToArray();
        _scopes.Clear();
        try { return make(); }
        finally { foreach (var s in saved.Reverse()) _scopes.Push(s); }
    }

    /// <summary>A 1-D int64 constant (shape, axes, split sizes); equal values share one initializer.</summary>
    public string Int64s(params long[] values)
    {
        var key = string.Join(",", values);
        if (_int64Constants.TryGetValue(key, out var existing)) return existing;
        var name = AtRoot(() => UniqueName("const/i64_" + key.Replace(',', '_').Replace("-", "m")));
        _initializers.Add(MakeTensor(name, values, values.Length));
        return _int64Constants[key] = name;
    }

    /// <summary>Adds a node with one output named after <paramref name="hint"/> in the current scope; returns the output name.</summary>
    public string Op(string opType, string hint, string[] inputs, params AttributeProto[] attributes)
    {
        var name = UniqueName(hint);
        _nodes.Add(MakeNode(opType, inputs, [name], name, attributes));
        return name;
    }

    /// <summary>Adds a node with several outputs (<paramref name="outputHints"/> name them inside the node's scope).</summary>
    public string[] OpMulti(string opType, string hint, string[] inputs, string[] outputHints, params AttributeProto[] attributes)
    {
        var name = UniqueName(hint);
        var outputs = outputHints.Select(h => UniqueName($"{hint}/{h}")).ToArray();
        _nodes.Add(MakeNode(opType, inputs, outputs, name, attributes));
        return outputs;
    }

    /// <summary>The finished graph as a model with the given IR version, producer and metadata.</summary>
    public ModelProto ToModel(string graphName, long irVersion, string producer, string producerVersion, string docString,
        IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var graph = new GraphProto { Name = graphName, DocString = docString };
        graph.Node.AddRange(_nodes);
        graph.Initializer.AddRange(_initializers);
        graph.Input.AddRange(_inputs);
        graph.Output.AddRange(_outputs);
        var model = new ModelProto
        {
            IrVersion = irVersion,
            ProducerName = producer,
            ProducerVersion = producerVersion,
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (k, v) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }

    private sealed class PopScope(Stack<string> scopes, string name) : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            if (scopes.Count == 0 || scopes.Peek() != name)
                throw new InvalidOperationException($"Scope '{name}' closed out of order.");
            scopes.Pop();
        }
    }
}
