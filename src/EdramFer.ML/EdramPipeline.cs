using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>Helpers around saved EdramFer pipelines (loading them: <see cref="EdramModelLoading.LoadEdram"/>).</summary>
public static class EdramPipeline
{
    /// <summary>Environment variable naming a folder searched for a pipeline's model when its saved path is gone.</summary>
    public const string ModelFolderVariable = "EDRAM_MODEL_DIR";

    internal const string ScoringKind = "edram.scoring";
    internal const string CropKind = "edram.crop";

    /// <summary>
    /// Registers EdramFer.ML's mappings with <paramref name="mlContext"/>. <c>mlContext.Model.LoadEdram</c> does this
    /// itself; a plain <c>mlContext.Model.Load</c> of an EdramFer zip then fails at load time pointing to LoadEdram,
    /// because only LoadEdram knows the zip's folder, which the saved paths are relative to.
    /// </summary>
    public static MLContext RegisterTransforms(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        CatalogEnvironment.Register(mlContext.ComponentCatalog);
        return mlContext;
    }

    /// <summary>Loads a saved pipeline: the same as <c>mlContext.Model.LoadEdram(path)</c>, which see.</summary>
    [Obsolete("Use mlContext.Model.LoadEdram(path): it returns a disposable EdramModel that owns the pipeline's ONNX sessions and detectors.")]
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        var model = mlContext.Model.LoadEdram(path);
        inputSchema = model.InputSchema;
        return model;
    }

    /// <summary>
    /// The saved state of every <c>ApplyEdram</c> in <paramref name="model"/> (fitted or loaded): model reference, hash,
    /// GPU settings and labels. Reads the state tables of the pipeline; opens no model.
    /// </summary>
    public static IReadOnlyList<EdramScoringState> FindScoring(MLContext mlContext, ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return FindScoring(model);
    }

    internal static IReadOnlyList<EdramScoringState> FindScoring(ITransformer model) =>
        Payloads(model).Where(p => p.Kind == ScoringKind)
            .Select(p => StateChannel.DecodeHeader<StateEnvelope<EdramScoringState>>(p.Payload.Span).State).ToList();

    /// <summary>
    /// The saved scoring state, refused naming the zip when it lacks the model's path or SHA-256: without a path the
    /// model cannot be found (an ArgumentNullException before), without a hash it would not be checked (fuzzing seeds).
    /// </summary>
    internal static EdramScoringState IntactScoringState(ReadOnlyMemory<char> payload, string zip)
    {
        var state = StateChannel.DecodeHeader<StateEnvelope<EdramScoringState>>(payload.Span).State;
        if (state is null || string.IsNullOrWhiteSpace(state.ModelPath) || state.Sha256 is not { Length: 64 } sha || !sha.All(char.IsAsciiHexDigit))
            throw new InvalidDataException($"'{zip}' holds a damaged ApplyEdram state: expected the path and SHA-256 (64 hex digits) of the model, " +
                                           $"got path '{state?.ModelPath}' and hash '{state?.Sha256}'");
        return state;
    }

    /// <summary>The payload (and its kind) of every state table in <paramref name="model"/>.</summary>
    internal static List<(ReadOnlyMemory<char> Payload, string? Kind)> Payloads(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var found = new List<(ReadOnlyMemory<char>, string?)>();
        var probe = LocalContext.Data.LoadFromEnumerable([new KeyRow { Key = StateChannel.Key }]);
        foreach (var t in Flatten(model))
        {
            DataViewSchema schema;
            try
            {
                schema = t.GetOutputSchema(probe.Schema);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                continue; // a transformer that needs other columns: not a state table
            }
            if (schema.GetColumnOrNull(StateChannel.StateColumn) is not { Type: TextDataViewType }) continue;
            var view = t.Transform(probe);
            using var cursor = view.GetRowCursor([view.Schema[StateChannel.StateColumn]]);
            var get = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema[StateChannel.StateColumn]);
            ReadOnlyMemory<char> payload = default;
            if (!cursor.MoveNext()) continue;
            get(ref payload);
            var newline = payload.Span.IndexOf('\n');
            using var doc = JsonDocument.Parse(payload[..(newline < 0 ? payload.Length : newline)]);
            // Another JSON shape than {"Kind": "...", ...} is not one of ours (GetString and TryGetProperty throw on it).
            var root = doc.RootElement;
            found.Add((payload, root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Kind", out var kind) && kind.ValueKind == JsonValueKind.String
                ? kind.GetString() : null));
        }
        return found;
    }

    /// <summary>A one-column (<c>Label</c>) data view of <paramref name="labels"/> in order: key data for MapValueToKey.</summary>
    internal static IDataView LabelData(IEnumerable<string> labels) =>
        LocalContext.Data.LoadFromEnumerable(labels.Select(l => new LabelRow { Label = l }).ToList());

    // In-memory key data only; ML.NET keeps a catalog's own context internal.
    internal static readonly MLContext LocalContext = new(seed: 0);

    private static IEnumerable<ITransformer> Flatten(ITransformer t)
    {
        if (t is EdramTransformer edram) t = edram.Chain;
        if (t is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
            foreach (var x in Flatten(inner))
                yield return x;
        }
        else yield return t;
    }

    private sealed class KeyRow
    {
        [ColumnName(StateChannel.KeyColumn)] public string Key { get; set; } = "";
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
