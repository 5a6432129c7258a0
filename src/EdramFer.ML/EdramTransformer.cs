using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>
/// A fitted EdramFer transform (or a whole loaded pipeline, <see cref="EdramModel"/>): a chain of built-in ML.NET
/// transforms that saves and loads like any ML.NET pipeline, plus the ONNX sessions and detectors it opened, released
/// by <see cref="Dispose"/>. Use it after disposal and the rows fail with <see cref="ObjectDisposedException"/>.
/// </summary>
public abstract class EdramTransformer : ITransformer, IDisposable
{
    private protected EdramTransformer(ITransformer chain, PipelineResources resources)
    {
        Chain = chain ?? throw new ArgumentNullException(nameof(chain));
        Resources = resources ?? throw new ArgumentNullException(nameof(resources));
    }

    /// <summary>The built-in transforms that do the work (what <c>mlContext.Model.Save</c> writes).</summary>
    internal ITransformer Chain { get; }

    private protected PipelineResources Resources { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => Chain.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Chain.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Chain.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => Chain.Transform(input);

    /// <summary>Saves the chain: a reload gives the built-in transforms back (load it with <c>mlContext.Model.LoadEdram</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => Chain.Save(ctx);

    /// <summary>Releases the ONNX sessions and detectors this transformer opened.</summary>
    public void Dispose()
    {
        Resources.Dispose();
        GC.SuppressFinalize(this);
    }
}
