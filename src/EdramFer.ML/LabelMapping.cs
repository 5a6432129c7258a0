using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>Options of <c>MapLabelToKey</c>.</summary>
public sealed record LabelMappingOptions
{
    /// <summary>Key column (<c>Key&lt;UInt32, Labels.Count&gt;</c>, key values = <see cref="Labels"/>), comparable with ApplyEdram's PredictedLabel.</summary>
    public required string OutputColumnName { get; init; }
    /// <summary>String label column; null = <see cref="OutputColumnName"/>.</summary>
    public string? InputColumnName { get; init; }
    /// <summary>The model's labels in order (<see cref="EdramModelInfo.Labels"/>).</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>
    /// A dataset's spellings mapped to the model's labels, case-insensitively (e.g. <see cref="LabelAliases.Common"/>:
    /// anger → angry). A null value drops the rows with that label (e.g. contempt for a model without it).
    /// </summary>
    public IReadOnlyDictionary<string, string?> Aliases { get; init; } = new Dictionary<string, string?>();
    /// <summary>
    /// True: rows whose label is neither a model label nor an alias are dropped. False (the default): <c>Fit</c> fails
    /// naming every such label, rather than ML.NET's <c>MapValue</c> turning them into <c>''</c>.
    /// </summary>
    public bool DropUnknownLabels { get; init; }
}

/// <summary>Dataset label spellings that mean a label of the FER2013 models.</summary>
public static class LabelAliases
{
    /// <summary>
    /// anger → angry, disgusted → disgust, fearful → fear, happiness → happy, sadness → sad, surprised → surprise,
    /// contempt → dropped (FER2013 has no contempt), as AffectNet, CK+ and RAF-DB spell them.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Common { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        ["anger"] = "angry", ["disgusted"] = "disgust", ["fearful"] = "fear", ["happiness"] = "happy",
        ["sadness"] = "sad", ["surprised"] = "surprise", ["contempt"] = null,
    };
}

/// <summary>
/// Maps a text label column to a key column whose key values are a model's labels in model order, so
/// <c>mlContext.MulticlassClassification.Evaluate</c> can compare it with ApplyEdram's PredictedLabel. Matching is
/// case-insensitive and goes through <see cref="LabelMappingOptions.Aliases"/>. <see cref="Fit"/> reads the column
/// once and throws naming every label it cannot map, unless <see cref="LabelMappingOptions.DropUnknownLabels"/>.
/// </summary>
public sealed class LabelMappingEstimator : IEstimator<LabelMappingTransformer>
{
    private readonly TransformsCatalog.ConversionTransforms _catalog;
    private readonly LabelMappingOptions _options;
    private readonly string _input;
    private readonly Dictionary<string, string?> _lookup = new(StringComparer.OrdinalIgnoreCase);

    internal LabelMappingEstimator(TransformsCatalog.ConversionTransforms catalog, LabelMappingOptions options)
    {
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName);
        ArgumentNullException.ThrowIfNull(options.Labels);
        if (options.Labels.Count == 0) throw new ArgumentException("at least one label", nameof(options));
        _options = options;
        _input = options.InputColumnName ?? options.OutputColumnName;
        foreach (var (alias, label) in options.Aliases)
        {
            if (label is not null && !options.Labels.Contains(label, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"alias '{alias}' maps to '{label}', which is not one of the labels {string.Join(", ", options.Labels)}", nameof(options));
            _lookup[alias.Trim()] = label is null ? null : options.Labels.First(l => l.Equals(label, StringComparison.OrdinalIgnoreCase));
        }
        foreach (var l in options.Labels) _lookup[l.Trim()] = l;
    }

    /// <summary>Reads the distinct labels of the input column; throws when any cannot be mapped (unless dropped).</summary>
    public LabelMappingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var col = input.Schema.GetColumnOrNull(_input) ?? throw SchemaCheck.Missing(_input);
        if (col.Type is not TextDataViewType) throw SchemaCheck.Mismatch(_input, "String", col.Type.ToString() ?? "");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using (var cursor = input.GetRowCursor([col]))
        {
            var get = cursor.GetGetter<ReadOnlyMemory<char>>(col);
            ReadOnlyMemory<char> value = default;
            while (cursor.MoveNext())
            {
                get(ref value);
                seen.Add(value.ToString());
            }
        }
        var unknown = seen.Where(s => !_lookup.ContainsKey(s.Trim())).OrderBy(s => s, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0 && !_options.DropUnknownLabels)
            throw new InvalidDataException(
                $"Column '{_input}' has label{(unknown.Count > 1 ? "s" : "")} the model does not know: {string.Join(", ", unknown.Take(20).Select(u => $"'{u}'"))}" +
                $"{(unknown.Count > 20 ? $" and {unknown.Count - 20} more" : "")}; the model's labels are {string.Join(", ", _options.Labels)} (case-insensitive)" +
                "; map them with Aliases or set DropUnknownLabels");
        var drops = _options.DropUnknownLabels || _lookup.ContainsValue(null);
        return new LabelMappingTransformer(Chain(seen).Fit(input), drops ? _options.OutputColumnName : null);
    }

    /// <summary>Output schema: a key column of <c>Labels.Count</c> keys; fails when the input is missing or not text.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var col = InputColumn.From(inputSchema).LastOrDefault(c => c.Name == _input) ?? throw SchemaCheck.Missing(_input);
        if (!col.IsText) throw SchemaCheck.Mismatch(_input, "String", col.ToString());
        return Chain(_options.Labels).GetOutputSchema(inputSchema);
    }

    private IEstimator<ITransformer> Chain(IEnumerable<string> observed)
    {
        // Every spelling seen or known maps to its model label, or to '' (the missing key: dropped or unknown).
        var pairs = observed.Concat(_lookup.Keys).Distinct(StringComparer.Ordinal)
            .Select(s => new KeyValuePair<string, string>(s, _lookup.GetValueOrDefault(s.Trim()) ?? "")).ToList();
        var output = _options.OutputColumnName;
        return _catalog.MapValue(output, pairs, _input)
            .Append(_catalog.MapValueToKey(output, output, keyData: EdramPipeline.LabelData(_options.Labels)));
    }
}

/// <summary>
/// A fitted <c>MapLabelToKey</c>. When rows are dropped (aliases to null, <see cref="LabelMappingOptions.DropUnknownLabels"/>),
/// <see cref="Transform"/> filters out the rows whose key is missing; a saved and reloaded mapping keeps those rows
/// with the missing key (0), which <c>mlContext.Data.FilterRowsByMissingValues</c> drops.
/// </summary>
public sealed class LabelMappingTransformer : ITransformer
{
    private readonly ITransformer _chain;
    private readonly string? _filterColumn;

    internal LabelMappingTransformer(ITransformer chain, string? filterColumn)
    {
        _chain = chain;
        _filterColumn = filterColumn;
    }

    /// <summary>True when rows with dropped or unknown labels are filtered out.</summary>
    public bool DropsRows => _filterColumn is not null;

    /// <inheritdoc />
    public bool IsRowToRowMapper => !DropsRows && _chain.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _chain.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => DropsRows
        ? throw new InvalidOperationException("MapLabelToKey drops rows here (DropUnknownLabels or an alias to null), so it is not a row-to-row mapper")
        : _chain.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        var mapped = _chain.Transform(input);
        return _filterColumn is null ? mapped : EdramPipeline.LocalContext.Data.FilterRowsByMissingValues(mapped, _filterColumn);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => _chain.Save(ctx);
}
