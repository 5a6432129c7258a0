using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace EdramFer.ML;

/// <summary>
/// How the custom transforms keep their settings (and the ONNX model) through <c>mlContext.Model.Save/Load</c> with
/// public ML.NET API only. A <c>CustomMapping</c> factory is created by name and holds no state, and
/// <c>ModelSaveContext</c>/<c>LoadableClass</c> are internal to ML.NET. So every component is an estimator chain of
/// built-in, saveable transforms: a stateless mapping writes a constant key, a <c>MapValue</c> turns the key into the
/// component's payload text (the value table is saved in the zip), and the worker mapping reads that text per row as a
/// <see cref="ReadOnlyMemory{T}"/> that points at the one stored string: no per-row copy, and the decoded state is
/// kept per string instance by the pipeline's <see cref="PipelineResources"/>.
/// </summary>
internal static class StateChannel
{
    /// <summary>Column holding the constant key.</summary>
    public const string KeyColumn = "__EdramStateKey";
    /// <summary>Column holding the component payload (header line + body).</summary>
    public const string StateColumn = "__EdramState";
    /// <summary>The one key of every value table.</summary>
    public const string Key = "state";

    /// <summary>The two transforms that put <paramref name="payload"/> in <see cref="StateColumn"/> of every row.</summary>
    public static IEstimator<ITransformer> Estimator(TransformsCatalog catalog, string payload) =>
        catalog.CustomMapping(new StateKeyFactory().GetMapping(), StateKeyFactory.ContractName)
            .Append(catalog.Conversion.MapValue(StateColumn, [new KeyValuePair<string, string>(Key, payload)], KeyColumn));

    /// <summary>Payload text: one JSON header line, then an optional body (base64 of a model file).</summary>
    public static string Encode<THeader>(THeader header, byte[]? body = null)
    {
        var json = JsonSerializer.Serialize(header, JsonOptions);
        return body is null ? json : json + "\n" + Convert.ToBase64String(body);
    }

    /// <summary>Splits a payload into its header (deserialised) and body bytes (null when none).</summary>
    public static (THeader Header, byte[]? Body) Decode<THeader>(ReadOnlySpan<char> payload)
    {
        var newline = payload.IndexOf('\n');
        var head = newline < 0 ? payload : payload[..newline];
        var header = JsonSerializer.Deserialize<THeader>(head, JsonOptions)
                     ?? throw new InvalidDataException("EdramFer transform state has an empty header");
        byte[]? body = null;
        if (newline >= 0)
        {
            var b64 = payload[(newline + 1)..];
            body = new byte[b64.Length / 4 * 3];
            if (!Convert.TryFromBase64Chars(b64, body, out var written))
                throw new InvalidDataException("EdramFer transform state: the embedded model is not valid base64 (damaged pipeline zip?)");
            Array.Resize(ref body, written);
        }
        return (header, body);
    }

    /// <summary>Only the header of a payload (cheap: the body is not decoded).</summary>
    public static THeader DecodeHeader<THeader>(ReadOnlySpan<char> payload)
    {
        var newline = payload.IndexOf('\n');
        return JsonSerializer.Deserialize<THeader>(newline < 0 ? payload : payload[..newline], JsonOptions)
               ?? throw new InvalidDataException("EdramFer transform state has an empty header");
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    /// <summary>The object a <see cref="ReadOnlyMemory{T}"/> of chars points into: the identity of one stored payload.</summary>
    public static object Owner(ReadOnlyMemory<char> memory)
    {
        if (MemoryMarshal.TryGetString(memory, out var s, out _, out _)) return s;
        if (MemoryMarshal.TryGetArray(memory, out var segment) && segment.Array is { } a) return a;
        return memory.ToString(); // not reached with ML.NET's text columns; correct (uncached) anyway
    }
}

/// <summary>Input of the key mapping: no columns.</summary>
internal sealed class StateKeyInput
{
}

/// <summary>Output of the key mapping: the constant key.</summary>
internal sealed class StateKeyOutput
{
    /// <summary>Always <c>"state"</c>.</summary>
    [Microsoft.ML.Data.ColumnName(StateChannel.KeyColumn)]
    public string Key { get; set; } = "";
}

/// <summary>Writes the constant key that <c>MapValue</c> turns into a component's saved state. Loaded by name.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class StateKeyFactory : CustomMappingFactory<StateKeyInput, StateKeyOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.StateKey";

    /// <inheritdoc />
    public override Action<StateKeyInput, StateKeyOutput> GetMapping() => static (_, o) => o.Key = StateChannel.Key;
}

/// <summary>Schema checks shared by the estimators; messages follow ML.NET's template.</summary>
internal static class SchemaCheck
{
    public static Exception Missing(string column) => new ArgumentOutOfRangeException(
        "inputSchema", $"Could not find input column '{column}'");

    public static Exception Mismatch(string column, string expected, string got) => new ArgumentOutOfRangeException(
        "inputSchema", $"Schema mismatch for input column '{column}': expected {expected}, got {got}");

    public static string Join(IEnumerable<string> items) => string.Join(", ", items);

    /// <summary>A column name not in <paramref name="taken"/>: <paramref name="stem"/>, stem_1, stem_2...</summary>
    public static string Fresh(string stem, ISet<string> taken)
    {
        var name = stem;
        for (var i = 1; taken.Contains(name); i++) name = $"{stem}_{i}";
        taken.Add(name);
        return name;
    }
}

/// <summary>
/// Base of the mapping factories that read a component's state: created by ML.NET with no arguments when a zip loads
/// (the state then belongs to the LoadEdram in progress), or by the estimator with the resources of its fit; with
/// <c>schemaOnly</c> the mapping is a placeholder for <c>GetOutputSchema</c> that is never run.
/// </summary>
internal abstract class StateMappingFactory<TIn, TOut> : CustomMappingFactory<TIn, TOut> where TIn : class, new() where TOut : class, new()
{
    private readonly PipelineResources? _fitted;
    private readonly bool _schemaOnly;

    private protected StateMappingFactory(PipelineResources? fitted, bool schemaOnly)
    {
        _fitted = fitted;
        _schemaOnly = schemaOnly;
    }

    /// <summary>The name saved pipelines know the mapping by.</summary>
    private protected abstract string Contract { get; }

    /// <summary>What a plain <c>mlContext.Model.Load</c>'s error adds about this mapping; empty for most.</summary>
    private protected virtual string LoadHint => "";

    /// <summary>The per-row mapping reading its state from <paramref name="resources"/>.</summary>
    private protected abstract Action<TIn, TOut> Map(PipelineResources resources);

    /// <inheritdoc />
    public sealed override Action<TIn, TOut> GetMapping() => _schemaOnly
        ? static (_, _) => throw new InvalidOperationException("EdramFer: a chain built for GetOutputSchema was run")
        : Map(PipelineResources.ForMapping(_fitted, Contract, LoadHint));
}
