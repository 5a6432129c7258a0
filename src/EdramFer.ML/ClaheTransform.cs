using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace EdramFer.ML;

/// <summary>Options of <c>ApplyClahe</c>.</summary>
public sealed record ClaheOptions
{
    /// <summary>Output column: <c>Vector&lt;Byte&gt;</c>, the equalised square image; empty when the input is empty.</summary>
    public required string OutputColumnName { get; init; }
    /// <summary>Input column: <c>Vector&lt;Byte&gt;</c> holding a square grey image (e.g. the output of DetectAndCropFace); null = output name.</summary>
    public string? InputColumnName { get; init; }
    /// <summary>CLAHE clip limit; &lt;= 0 copies the input (see <see cref="PreprocessOptions.ClaheClipLimit"/>).</summary>
    public double ClipLimit { get; init; } = new PreprocessOptions().ClaheClipLimit;
    /// <summary>Tiles per side (see <see cref="PreprocessOptions.ClaheTileGrid"/>).</summary>
    public int TileGrid { get; init; } = new PreprocessOptions().ClaheTileGrid;
}

/// <summary>
/// Contrast-limited adaptive histogram equalisation of square grey byte images: EdramFer.Vision's <see cref="Clahe.Apply"/>
/// on the same bytes. An empty input (a row whose crop failed) gives an empty output.
/// </summary>
public sealed class ClaheEstimator : EdramEstimator<ClaheTransformer>
{
    internal const string InputColumn = "__EdramClaheIn";
    internal const string OutputColumn = "__EdramClaheOut";

    internal ClaheEstimator(TransformsCatalog catalog, ClaheOptions options) : base(catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName);
        if (double.IsNaN(options.ClipLimit)) throw new ArgumentException("ClaheOptions.ClipLimit is NaN", nameof(options));
        if (options.ClipLimit > 0 && options.TileGrid < 1)
            throw new ArgumentException($"ClaheOptions.TileGrid is {options.TileGrid}, expected >= 1", nameof(options));
        Options = options;
    }

    /// <summary>The options this estimator was made with.</summary>
    public ClaheOptions Options { get; }

    private protected override IEstimator<ITransformer> Build(IReadOnlyList<InputColumn> inputSchema, PipelineResources? resources)
    {
        var input = Options.InputColumnName ?? Options.OutputColumnName;
        var col = Require(inputSchema, input);
        if (!col.IsByteVector) throw SchemaCheck.Mismatch(input, "Vector<Byte> (square grey image)", col.ToString());
        var c = Catalog;
        var state = new ClaheState(Options.ClipLimit, Options.TileGrid);
        var payload = StateChannel.Encode(state);
        resources?.Seed(payload, state);
        return StateChannel.Estimator(Catalog, payload)
            .Append(c.CopyColumns(InputColumn, input))
            .Append(c.CustomMapping(new ClaheFactory(resources, schemaOnly: resources is null).GetMapping(), ClaheFactory.ContractName))
            .Append(c.CopyColumns(Options.OutputColumnName, OutputColumn))
            .Append(c.DropColumns(StateChannel.KeyColumn, StateChannel.StateColumn, InputColumn, OutputColumn));
    }

    private protected override ClaheTransformer Wrap(ITransformer chain, PipelineResources resources) => new(chain, resources);
}

/// <summary>A fitted <c>ApplyClahe</c> (it holds no model; disposing it is harmless).</summary>
public sealed class ClaheTransformer : EdramTransformer
{
    internal ClaheTransformer(ITransformer chain, PipelineResources resources) : base(chain, resources)
    {
    }
}

/// <summary>Saved CLAHE settings.</summary>
internal sealed record ClaheState(double ClipLimit, int TileGrid)
{
    public byte[] Apply(byte[] pixels)
    {
        if (pixels.Length == 0) return [];
        var size = (int)Math.Round(Math.Sqrt(pixels.Length));
        if (size * size != pixels.Length)
            throw new InvalidOperationException($"ApplyClahe: input has {pixels.Length} bytes, which is not a square image");
        if (ClipLimit > 0 && TileGrid > size)
            throw new InvalidOperationException($"ApplyClahe: tile grid {TileGrid} is larger than the {size}x{size} image");
        return Clahe.Apply(pixels, size, ClipLimit, TileGrid);
    }
}

/// <summary>CLAHE mapping input.</summary>
internal sealed class ClaheInput
{
    /// <summary>Square grey image, row-major.</summary>
    [ColumnName(ClaheEstimator.InputColumn), VectorType] public byte[] Pixels { get; set; } = [];
    /// <summary>Saved transform state.</summary>
    [ColumnName(StateChannel.StateColumn)] public ReadOnlyMemory<char> State { get; set; }
}

/// <summary>CLAHE mapping output.</summary>
internal sealed class ClaheOutput
{
    /// <summary>Equalised image, row-major; empty for an empty input.</summary>
    [ColumnName(ClaheEstimator.OutputColumn), VectorType] public byte[] Pixels { get; set; } = [];
}

/// <summary>CLAHE of a byte-vector column. Loaded by name from saved pipelines.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class ClaheFactory : StateMappingFactory<ClaheInput, ClaheOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.ApplyClahe";

    /// <summary>For ML.NET, loading a zip.</summary>
    public ClaheFactory() : base(null, false)
    {
    }

    internal ClaheFactory(PipelineResources? fitted, bool schemaOnly) : base(fitted, schemaOnly)
    {
    }

    private protected override string Contract => ContractName;

    private protected override Action<ClaheInput, ClaheOutput> Map(PipelineResources resources) =>
        (i, o) => o.Pixels = resources.Get(i.State, static p => StateChannel.DecodeHeader<ClaheState>(p.Span)).Apply(i.Pixels ?? []);
}
