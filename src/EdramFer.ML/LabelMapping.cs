using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>
/// Maps a text label column to a key column whose key values are a model's labels in model order, so
/// <c>mlContext.MulticlassClassification.Evaluate</c> can compare it with ApplyEdram's PredictedLabel. Matching is
/// case-insensitive. <see cref="Fit"/> reads the column once and throws naming every label the model does not know;
/// on later data an unknown label becomes the missing key (0).
/// </summary>
public sealed class LabelMappingEstimator : IEstimator<ITransformer>
{
    private const string CanonicalColumn = "__EdramLabel";
    private readonly TransformsCatalog _catalog;
    private readonly string _output;
    private readonly string _input;
    private readonly string[] _labels;

    internal LabelMappingEstimator(TransformsCatalog catalog, string outputColumnName, IReadOnlyList<string> labels, string? inputColumnName)
    {
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new ArgumentException("at least one label", nameof(labels));
        _output = outputColumnName;
        _input = inputColumnName ?? outputColumnName;
        _labels = labels.ToArray();
    }

    /// <summary>Reads the distinct labels of the input column; throws when any is not a model label.</summary>
    /// <returns>A chain: MapValue (text → the model's spelling) then MapValueToKey (key data = the model's labels).</returns>
    public ITransformer Fit(IDataView input)
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
                if (!seen.Contains(value.ToString())) seen.Add(value.ToString());
            }
        }
        var unknown = seen.Where(s => Canonical(s) is null).OrderBy(s => s, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException(
                $"Column '{_input}' has label{(unknown.Count > 1 ? "s" : "")} the model does not know: {string.Join(", ", unknown.Take(20).Select(u => $"'{u}'"))}" +
                $"{(unknown.Count > 20 ? $" and {unknown.Count - 20} more" : "")}; the model's labels are {string.Join(", ", _labels)} (case-insensitive)");
        return Chain(seen).Fit(input);
    }

    /// <summary>Output schema: a key column of <c>labels.Count</c> keys; fails when the input is missing or not text.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var col = InputColumn.From(inputSchema).LastOrDefault(c => c.Name == _input) ?? throw SchemaCheck.Missing(_input);
        if (!col.IsText) throw SchemaCheck.Mismatch(_input, "String", col.ToString());
        return Chain(_labels).GetOutputSchema(inputSchema);
    }

    private IEstimator<ITransformer> Chain(IEnumerable<string> observed)
    {
        var pairs = observed.Concat(_labels).Distinct(StringComparer.Ordinal)
            .Select(s => new KeyValuePair<string, string>(s, Canonical(s) ?? "")).ToList();
        var c = _catalog;
        return c.Conversion.MapValue(CanonicalColumn, pairs, _input)
            .Append(c.Conversion.MapValueToKey(_output, CanonicalColumn, keyData: EdramPipeline.LabelData(_labels)))
            .Append(c.DropColumns(CanonicalColumn));
    }

    private string? Canonical(string s)
    {
        var t = s.Trim();
        return _labels.FirstOrDefault(l => l.Equals(t, StringComparison.OrdinalIgnoreCase));
    }
}
