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
    private readonly bool _oneRowPerFace;

    /// <param name="chain">the built-in transforms</param>
    /// <param name="resources">what the chain's mappings opened</param>
    /// <param name="oneRowPerFace">the chain holds a <c>DetectAndCropFace</c> with <see cref="FaceSelection.All"/>, whose rows <see cref="Transform"/> unfolds</param>
    private protected EdramTransformer(ITransformer chain, PipelineResources resources, bool oneRowPerFace = false)
    {
        Chain = chain ?? throw new ArgumentNullException(nameof(chain));
        Resources = resources ?? throw new ArgumentNullException(nameof(resources));
        _oneRowPerFace = oneRowPerFace;
    }

    /// <summary>The built-in transforms that do the work (what <c>mlContext.Model.Save</c> writes).</summary>
    internal ITransformer Chain { get; }

    private protected PipelineResources Resources { get; }

    /// <summary>False with <see cref="FaceSelection.All"/>: one input row may give several rows.</summary>
    public bool IsRowToRowMapper => !_oneRowPerFace && Chain.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Chain.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">with <see cref="FaceSelection.All"/> (one row per face)</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        _oneRowPerFace ? throw new InvalidOperationException(FaceRowExpansion.NotRowToRow) : Chain.GetRowToRowMapper(inputSchema);

    /// <summary>Runs the chain; with <see cref="FaceSelection.All"/>, one row per detected face (see <see cref="FaceCroppingOptions.Faces"/>).</summary>
    public IDataView Transform(IDataView input) => _oneRowPerFace ? FaceRowExpansion.Transform(Chain, input) : Chain.Transform(input);

    /// <summary>Saves the chain: a reload gives the built-in transforms back (load it with <c>mlContext.Model.LoadEdram</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => Chain.Save(ctx);

    /// <summary>Releases the ONNX sessions and detectors this transformer opened.</summary>
    public void Dispose()
    {
        Resources.Dispose();
        GC.SuppressFinalize(this);
    }
}
