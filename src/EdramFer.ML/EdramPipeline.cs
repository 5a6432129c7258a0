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

    /// <summary>
    /// Loads a saved pipeline after registering EdramFer.ML (see <see cref="RegisterTransforms"/>) and remembers the zip's
    /// folder, against which each <c>ApplyEdram</c> and <c>DetectAndCropFace</c> resolves its saved relative paths first
    /// (model, detector files: the zip and its files can move together). A plain <c>mlContext.Model.Load</c> resolves them
    /// against the working directory instead.
    /// </summary>
    /// <remarks>
    /// Fails here, not on the first row, with the reason itself: a file that is not a readable zip
    /// (<see cref="InvalidDataException"/> naming it), a damaged EdramFer state in it (the same), a model that is
    /// missing, not a regular file, or not the file the pipeline was built with (its SHA-256 differs).
    /// </remarks>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        RegisterTransforms(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        RegularFile.Require(full, "pipeline zip");
        ITransformer model;
        try
        {
            model = mlContext.Model.Load(full, out inputSchema);
        }
        catch (Exception e) when (e is not (FileNotFoundException or OutOfMemoryException))
        {
            // ML.NET says "Failed to open a zip archive", its cause says why (e.g. "Central Directory corrupt").
            var cause = e.InnerException is { } inner ? $" ({inner.Message.Trim()})" : "";
            throw new InvalidDataException($"'{full}' is not a readable ML.NET pipeline zip: {e.Message.Trim()}{cause}", e);
        }
        var folder = System.IO.Path.GetDirectoryName(full)!;
        try
        {
            // The payload text lives in the loaded value table; rows later read that same instance, so it keys the folder.
            foreach (var (payload, kind) in Payloads(mlContext, model))
            {
                PipelineFolders.AddOrUpdate(StateChannel.Owner(payload), folder);
                if (kind == ScoringKind) IntactScoringState(payload, full).Verify(folder);
            }
        }
        catch (JsonException e)
        {
            // A damaged state table still loads in ML.NET; its text is then not the JSON it was saved as (found by fuzzing).
            throw new InvalidDataException($"'{full}' holds a damaged EdramFer transform state (not the JSON it was saved as: {e.Message})", e);
        }
        return model;
    }

    /// <summary>
    /// The saved scoring state, refused naming the zip when it lacks the model's path or SHA-256: without a path the
    /// model cannot be found (an ArgumentNullException before), without a hash it would not be checked (fuzzing seeds).
    /// </summary>
    private static EdramScoringState IntactScoringState(ReadOnlyMemory<char> payload, string zip)
    {
        var state = StateChannel.DecodeHeader<StateEnvelope<EdramScoringState>>(payload.Span).State;
        if (state is null || string.IsNullOrWhiteSpace(state.ModelPath) || state.Sha256 is not { Length: 64 } sha || !sha.All(char.IsAsciiHexDigit))
            throw new InvalidDataException($"'{zip}' holds a damaged ApplyEdram state: expected the path and SHA-256 (64 hex digits) of the model, " +
                                           $"got path '{state?.ModelPath}' and hash '{state?.Sha256}'");
        return state;
    }


    /// <summary>
    /// The saved state of every <c>ApplyEdram</c> in <paramref name="model"/> (fitted or loaded): model reference, hash,
    /// GPU settings and labels. Reads the state tables of the pipeline; opens no model.
    /// </summary>
    public static IReadOnlyList<EdramScoringState> FindScoring(MLContext mlContext, ITransformer model) =>
        Payloads(mlContext, model).Where(p => p.Kind == ScoringKind)
            .Select(p => StateChannel.DecodeHeader<StateEnvelope<EdramScoringState>>(p.Payload.Span).State).ToList();

    /// <summary>The folder of the zip a transform's payload was loaded from by <see cref="Load"/>; null otherwise.</summary>
    internal static string? LoadedFrom(ReadOnlyMemory<char> payload) =>
        PipelineFolders.TryGetValue(StateChannel.Owner(payload), out var folder) ? folder : null;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, string> PipelineFolders = new();

    /// <summary>The payload (and its kind) of every state table in <paramref name="model"/>.</summary>
    private static List<(ReadOnlyMemory<char> Payload, string? Kind)> Payloads(MLContext mlContext, ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        var found = new List<(ReadOnlyMemory<char>, string?)>();
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
