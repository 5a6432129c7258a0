using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>Helpers around saved EdramFer pipelines.</summary>
public static class EdramPipeline
{
    /// <summary>Environment variable naming a folder searched for a pipeline's model when its saved path is gone.</summary>
    public const string ModelFolderVariable = "EDRAM_MODEL_DIR";

    internal const string ScoringKind = "edram.scoring";

    /// <summary>
    /// Registers EdramFer.ML with <paramref name="mlContext"/> so <c>mlContext.Model.Load</c> finds its mappings. Needed
    /// once per context in a process that has not built an EdramFer transform itself.
    /// </summary>
    public static MLContext RegisterTransforms(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        mlContext.ComponentCatalog.RegisterAssembly(typeof(EdramPipeline).Assembly);
        return mlContext;
    }

    /// <summary>Loads a saved pipeline after registering EdramFer.ML (see <see cref="RegisterTransforms"/>).</summary>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        RegisterTransforms(mlContext);
        return mlContext.Model.Load(path, out inputSchema);
    }

    /// <summary>
    /// The saved state of every <c>ApplyEdram</c> in <paramref name="model"/> (fitted or loaded): model path, hash,
    /// GPU settings and labels. Reads the state tables of the pipeline; opens no model.
    /// </summary>
    public static IReadOnlyList<EdramScoringState> FindScoring(MLContext mlContext, ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        var found = new List<EdramScoringState>();
        var probe = mlContext.Data.LoadFromEnumerable([new KeyRow { Key = StateChannel.Key }]);
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
            using var doc = JsonDocument.Parse(payload.ToString());
            if (doc.RootElement.TryGetProperty("Kind", out var kind) && kind.GetString() == ScoringKind)
                found.Add(StateChannel.DecodeHeader<StateEnvelope<EdramScoringState>>(payload.Span).State);
        }
        return found;
    }

    /// <summary>A one-column (<c>Label</c>) data view of <paramref name="labels"/> in order: key data for MapValueToKey.</summary>
    internal static IDataView LabelData(IEnumerable<string> labels) =>
        LocalContext.Data.LoadFromEnumerable(labels.Select(l => new LabelRow { Label = l }).ToList());

    // In-memory key data only; ML.NET keeps a catalog's own context internal.
    private static readonly MLContext LocalContext = new(seed: 0);

    private static IEnumerable<ITransformer> Flatten(ITransformer t)
    {
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
