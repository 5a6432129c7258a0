using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>
/// Base of the EdramFer estimators. Each builds, for a given input schema, a chain of built-in saveable transforms
/// around its <c>CustomMapping</c> (see <see cref="StateChannel"/>), after checking the input columns.
/// <see cref="GetOutputSchema"/> builds that chain without opening any model or detector.
/// </summary>
/// <typeparam name="TTransformer">the fitted transformer</typeparam>
public abstract class EdramEstimator<TTransformer> : IEstimator<TTransformer> where TTransformer : EdramTransformer
{
    private protected EdramEstimator(TransformsCatalog catalog)
    {
        Catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
    }

    /// <summary>The catalog the built-in parts of the chain come from.</summary>
    private protected TransformsCatalog Catalog { get; }

    /// <summary>
    /// Checks the input columns (throws naming the column and the expected type) and builds the chain. With
    /// <paramref name="resources"/> the mapping's state is built and seeded there (models, detectors); without, the
    /// chain only serves for the schema and opens nothing.
    /// </summary>
    private protected abstract IEstimator<ITransformer> Build(IReadOnlyList<InputColumn> inputSchema, PipelineResources? resources);

    /// <summary>The fitted transformer around <paramref name="chain"/>, owning <paramref name="resources"/>.</summary>
    private protected abstract TTransformer Wrap(ITransformer chain, PipelineResources resources);

    /// <summary>Fits the chain (no pass over the data: every part is fixed at construction).</summary>
    /// <returns>A disposable transformer that owns the models and detectors it opened.</returns>
    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var resources = new PipelineResources(null, CatalogEnvironment.Logger(CatalogEnvironment.Of(Catalog)));
        try
        {
            return Wrap(Build(InputColumn.From(input.Schema), resources).Fit(input), resources);
        }
        catch
        {
            resources.Dispose();
            throw;
        }
    }

    /// <summary>The output schema; fails before <see cref="Fit"/> when an input column is missing or has the wrong type.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return Build(InputColumn.From(inputSchema), null).GetOutputSchema(inputSchema);
    }

    /// <summary>The input column, or ML.NET's "Could not find input column" error.</summary>
    private protected static InputColumn Require(IReadOnlyList<InputColumn> schema, string name) =>
        schema.LastOrDefault(c => c.Name == name) ?? throw SchemaCheck.Missing(name);

    /// <summary>Several CopyColumns in a row (ML.NET 5's public CopyColumns takes one pair).</summary>
    private protected static IEstimator<ITransformer> Copy(TransformsCatalog catalog, IEnumerable<(string Output, string Input)> pairs)
    {
        IEstimator<ITransformer>? chain = null;
        foreach (var (output, input) in pairs)
        {
            var copy = catalog.CopyColumns(output, input);
            chain = chain is null ? copy : chain.Append(copy);
        }
        return chain ?? throw new ArgumentException("no columns to copy", nameof(pairs));
    }
}

/// <summary>An input column as the estimators check it, from a fitted schema or a schema shape.</summary>
internal sealed record InputColumn(string Name, DataViewType ItemType, SchemaShape.Column.VectorKind Kind)
{
    /// <summary>True for a scalar text column.</summary>
    public bool IsText => Kind == SchemaShape.Column.VectorKind.Scalar && ItemType is TextDataViewType;
    /// <summary>True for a known- or variable-size vector of bytes.</summary>
    public bool IsByteVector => Kind != SchemaShape.Column.VectorKind.Scalar && ItemType == NumberDataViewType.Byte;

    /// <summary>The type as ML.NET prints it.</summary>
    public override string ToString() => Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => ItemType.ToString() ?? "",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{ItemType}, known size>",
        _ => $"Vector<{ItemType}>",
    };

    internal static IReadOnlyList<InputColumn> From(SchemaShape shape) =>
        shape.Select(c => new InputColumn(c.Name, c.ItemType, c.Kind)).ToList();

    internal static IReadOnlyList<InputColumn> From(DataViewSchema schema) =>
        schema.Select(c => c.Type is VectorDataViewType v
            ? new InputColumn(c.Name, v.ItemType, v.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector)
            : new InputColumn(c.Name, c.Type, SchemaShape.Column.VectorKind.Scalar)).ToList();
}
