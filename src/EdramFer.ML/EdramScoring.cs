using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace EdramFer.ML;

/// <summary>
/// Scores preprocessed faces with an EDRAM ONNX model on ONNX Runtime, with the GPU settings kept through
/// <c>Model.Save/Load</c> (ML.NET's ApplyOnnxModel drops them: dotnet/machinelearning#6111). Outputs PredictedLabel
/// (key, key values = labels), Score (probabilities, slot names = labels), Valence, Arousal and Glimpses.
/// </summary>
/// <remarks>
/// The saved pipeline refers to the model by a relative path and SHA-256 instead of embedding it: the only carrier a custom mapping
/// can read per row without copying is an ML.NET text value, and a 63 MB model stored that way took 13 s and 830 MB to
/// load (ML.NET 5.0.1, measured). Keep the .onnx where it was relative to the zip (see <see cref="EdramScoringOptions.PipelineFolder"/>) or point
/// <see cref="EdramPipeline.ModelFolderVariable"/> at it.
/// </remarks>
public sealed class EdramScoringEstimator : EdramEstimator<EdramScoringTransformer>
{
    /// <summary>Most classes a model may have (the mapping has this many fixed probability columns).</summary>
    public const int MaxClasses = 16;
    internal const string InputColumn = "__EdramFace";
    internal const string PredictedColumn = "__EdramPredicted";
    internal const string ValenceColumn = "__EdramValence";
    internal const string ArousalColumn = "__EdramArousal";
    internal const string GlimpsesColumn = "__EdramGlimpses";
    internal const string ProbabilityPrefix = "__EdramP";

    private readonly Lazy<EdramModelInfo> _info;

    internal EdramScoringEstimator(TransformsCatalog catalog, EdramScoringOptions options) : base(catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ModelFile, nameof(EdramScoringOptions.ModelFile));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName);
        Options = options;
        _info = new Lazy<EdramModelInfo>(() => EdramModelInfo.Read(options.ModelFile));
    }

    /// <summary>The options this estimator was made with.</summary>
    public EdramScoringOptions Options { get; }

    /// <summary>The model's metadata (read on first use, on a CPU session; throws naming the file when it is not an EDRAM export).</summary>
    public EdramModelInfo ModelInfo => _info.Value;

    private protected override IEstimator<ITransformer> Build(IReadOnlyList<InputColumn> inputSchema, PipelineResources? resources)
    {
        var o = Options;
        var col = Require(inputSchema, o.InputColumnName);
        if (!col.IsByteVector)
            throw SchemaCheck.Mismatch(o.InputColumnName, "Vector<Byte> (preprocessed face, e.g. from PreprocessFace)", col.ToString());
        // Fit opens the session that will score; the schema only needs the metadata.
        var scorer = resources is null ? null : EdramScorer.Load(o.ModelFile, o.GpuDeviceId, o.FallbackToCpu, o.IntraOpThreads);
        var info = scorer?.Info ?? ModelInfo;
        if (info.Labels.Count > MaxClasses)
        {
            scorer?.Dispose();
            throw new InvalidDataException($"'{info.Path}' has {info.Labels.Count} classes; ApplyEdram supports at most {MaxClasses}");
        }
        var state = new EdramScoringState
        {
            ModelPath = EdramScoringState.Relative(info.Path, o.PipelineFolder ?? Environment.CurrentDirectory),
            RelativeToPipeline = o.PipelineFolder is not null, Sha256 = info.Sha256, GpuDeviceId = o.GpuDeviceId,
            FallbackToCpu = o.FallbackToCpu, IntraOpThreads = o.IntraOpThreads, Labels = info.Labels.ToArray(), HasValenceArousal = info.HasValenceArousal,
        };
        var payload = StateChannel.Encode(new StateEnvelope<EdramScoringState>(EdramPipeline.ScoringKind, state));
        if (resources is not null && scorer is not null) resources.Seed(payload, ScoringMapping.Opened(scorer, state, resources));
        return Chain(inputSchema, payload, state.Labels, new ScoringFactory(resources, schemaOnly: resources is null));
    }

    private IEstimator<ITransformer> Chain(IReadOnlyList<InputColumn> inputSchema, string payload, string[] labels, ScoringFactory factory)
    {
        var o = Options;
        var c = Catalog;
        // Concatenate names each slot after its scalar source column, so the probabilities pass through columns named
        // exactly like the labels. A user column with such a name is parked under a temporary name and put back.
        var taken = new HashSet<string>(inputSchema.Select(x => x.Name), StringComparer.Ordinal);
        var parked = labels.Where(taken.Contains).Select(l => (Label: l, Temp: SchemaCheck.Fresh("__EdramParked_" + l, taken))).ToList();
        IEstimator<ITransformer> chain = StateChannel.Estimator(c, payload);
        if (parked.Count > 0) chain = chain.Append(Copy(c, parked.Select(p => (p.Temp, p.Label))));
        chain = chain
            .Append(c.CopyColumns(InputColumn, o.InputColumnName))
            .Append(c.CustomMapping(factory.GetMapping(), ScoringFactory.ContractName))
            .Append(Copy(c, labels.Select((l, i) => (l, ProbabilityPrefix + i))))
            .Append(c.Concatenate(o.ScoreColumnName, labels))
            .Append(c.Conversion.MapValueToKey(o.PredictedLabelColumnName, PredictedColumn, keyData: EdramPipeline.LabelData(labels)))
            .Append(Copy(c, [(o.ValenceColumnName, ValenceColumn), (o.ArousalColumnName, ArousalColumn), (o.GlimpsesColumnName, GlimpsesColumn)]))
            .Append(c.DropColumns([StateChannel.KeyColumn, StateChannel.StateColumn, InputColumn, PredictedColumn, ValenceColumn, ArousalColumn, GlimpsesColumn,
                .. Enumerable.Range(0, MaxClasses).Select(i => ProbabilityPrefix + i), .. labels]));
        if (parked.Count > 0)
            chain = chain.Append(Copy(c, parked.Select(p => (p.Label, p.Temp))))
                .Append(c.DropColumns(parked.Select(p => p.Temp).ToArray()));
        return chain;
    }

    private protected override EdramScoringTransformer Wrap(ITransformer chain, PipelineResources resources) =>
        new(chain, resources, resources.States<ScoringMapping>().Single());
}

/// <summary>
/// A fitted <c>ApplyEdram</c>: the model's metadata, the device its ONNX Runtime session actually runs on and, after a
/// CPU fallback, why. Dispose it (or the pipeline's <see cref="EdramModel"/>) to release the session.
/// </summary>
public sealed class EdramScoringTransformer : EdramTransformer
{
    internal EdramScoringTransformer(ITransformer chain, PipelineResources resources, ScoringMapping mapping) : base(chain, resources)
    {
        ModelInfo = mapping.Scorer.Info;
        Device = mapping.Scorer.Device;
        State = mapping.State;
    }

    /// <summary>The model's labels, sizes and preprocessing.</summary>
    public EdramModelInfo ModelInfo { get; }

    /// <summary>Where the session runs: <c>cuda:N</c> or <c>cpu</c>, with <see cref="SessionDevice.FallbackReason"/> when a requested GPU was not used.</summary>
    public SessionDevice Device { get; }

    /// <summary>What a saved pipeline keeps of this transform (model reference, hash, GPU settings, labels).</summary>
    public EdramScoringState State { get; }
}

/// <summary>A payload header with the component kind, so saved states can be told apart when inspecting a pipeline.</summary>
internal sealed record StateEnvelope<T>(string Kind, T State);

/// <summary>Decoded scoring state: the open model. Owned by the pipeline's <see cref="PipelineResources"/>.</summary>
internal sealed class ScoringMapping : IDisposable
{
    private ScoringMapping(EdramScorer scorer, EdramScoringState state)
    {
        Scorer = scorer;
        State = state;
    }

    /// <summary>The mapping of a scorer opened at Fit; logs the device it runs on.</summary>
    public static ScoringMapping Opened(EdramScorer scorer, EdramScoringState state, PipelineResources resources)
    {
        resources.Log(DeviceLine(scorer));
        return new ScoringMapping(scorer, state);
    }

    /// <summary>Opens the model a loaded payload refers to (resolved against the zip's folder) and logs the device.</summary>
    public static ScoringMapping Open(ReadOnlyMemory<char> payload, PipelineResources resources)
    {
        var state = StateChannel.DecodeHeader<StateEnvelope<EdramScoringState>>(payload.Span).State;
        return Opened(state.Open(resources.PipelineFolder), state, resources);
    }

    /// <summary>One log line: which model runs where, and why not on the GPU when it fell back.</summary>
    public static string DeviceLine(EdramScorer scorer) => scorer.Device.FallbackReason is { } why
        ? $"ApplyEdram: '{scorer.Info.Path}' runs on {scorer.Device.Name}, not on the GPU requested: {why}"
        : $"ApplyEdram: '{scorer.Info.Path}' runs on {scorer.Device.Name}";

    public void Dispose() => Scorer.Dispose();

    [ThreadStatic] private static float[]? _probabilities;
    [ThreadStatic] private static float[]? _valenceArousal;

    public EdramScorer Scorer { get; }
    public EdramScoringState State { get; }

    public void Map(ScoringInput i, ScoringOutput o)
    {
        var classes = Scorer.Classes;
        var pixels = i.Pixels ?? [];
        if (pixels.Length == 0)
        {
            o.SetNaN(classes);
            return;
        }
        if (pixels.Length != Scorer.PixelCount)
            throw new InvalidOperationException(
                $"ApplyEdram: input has {pixels.Length} pixels, the model expects {Scorer.Info.InputSize}x{Scorer.Info.InputSize} = {Scorer.PixelCount}");
        var probs = _probabilities ??= new float[EdramScoringEstimator.MaxClasses];
        var va = _valenceArousal ??= new float[2];
        var glimpses = o.Glimpses.Length == Scorer.GlimpseValues ? o.Glimpses : new float[Scorer.GlimpseValues];
        Scorer.Run(pixels, 1, probs, va, glimpses);
        for (var k = 0; k < classes; k++) o.Set(k, probs[k]);
        var best = EdramScorer.ArgMax(probs.AsSpan(0, classes));
        o.Predicted = best >= 0 ? State.Labels[best] : "";
        o.Valence = State.HasValenceArousal ? va[0] : float.NaN;
        o.Arousal = State.HasValenceArousal ? va[1] : float.NaN;
        o.Glimpses = glimpses;
    }
}

/// <summary>Scoring mapping input.</summary>
internal sealed class ScoringInput
{
    /// <summary>Preprocessed face, row-major bytes.</summary>
    [ColumnName(EdramScoringEstimator.InputColumn), VectorType] public byte[] Pixels { get; set; } = [];
    /// <summary>Saved transform state.</summary>
    [ColumnName(StateChannel.StateColumn)] public ReadOnlyMemory<char> State { get; set; }
}

/// <summary>Scoring mapping output: one fixed column per possible class (ML.NET mappings have fixed columns).</summary>
internal sealed class ScoringOutput
{
    /// <summary>Predicted label text, empty for failed rows.</summary>
    [ColumnName(EdramScoringEstimator.PredictedColumn)] public string Predicted { get; set; } = "";
    /// <summary>Valence.</summary>
    [ColumnName(EdramScoringEstimator.ValenceColumn)] public float Valence { get; set; }
    /// <summary>Arousal.</summary>
    [ColumnName(EdramScoringEstimator.ArousalColumn)] public float Arousal { get; set; }
    /// <summary>Glimpse parameters.</summary>
    [ColumnName(EdramScoringEstimator.GlimpsesColumn), VectorType] public float[] Glimpses { get; set; } = [];
    // probability of class k
    [ColumnName("__EdramP0")] public float P0 { get; set; }
    [ColumnName("__EdramP1")] public float P1 { get; set; }
    [ColumnName("__EdramP2")] public float P2 { get; set; }
    [ColumnName("__EdramP3")] public float P3 { get; set; }
    [ColumnName("__EdramP4")] public float P4 { get; set; }
    [ColumnName("__EdramP5")] public float P5 { get; set; }
    [ColumnName("__EdramP6")] public float P6 { get; set; }
    [ColumnName("__EdramP7")] public float P7 { get; set; }
    [ColumnName("__EdramP8")] public float P8 { get; set; }
    [ColumnName("__EdramP9")] public float P9 { get; set; }
    [ColumnName("__EdramP10")] public float P10 { get; set; }
    [ColumnName("__EdramP11")] public float P11 { get; set; }
    [ColumnName("__EdramP12")] public float P12 { get; set; }
    [ColumnName("__EdramP13")] public float P13 { get; set; }
    [ColumnName("__EdramP14")] public float P14 { get; set; }
    [ColumnName("__EdramP15")] public float P15 { get; set; }

    internal void Set(int k, float v)
    {
        switch (k)
        {
            case 0: P0 = v; break; case 1: P1 = v; break; case 2: P2 = v; break; case 3: P3 = v; break;
            case 4: P4 = v; break; case 5: P5 = v; break; case 6: P6 = v; break; case 7: P7 = v; break;
            case 8: P8 = v; break; case 9: P9 = v; break; case 10: P10 = v; break; case 11: P11 = v; break;
            case 12: P12 = v; break; case 13: P13 = v; break; case 14: P14 = v; break; case 15: P15 = v; break;
            default: throw new ArgumentOutOfRangeException(nameof(k), k, $"at most {EdramScoringEstimator.MaxClasses} classes");
        }
    }

    internal void SetNaN(int classes)
    {
        for (var k = 0; k < classes; k++) Set(k, float.NaN);
        Predicted = "";
        Valence = Arousal = float.NaN;
        Glimpses = [];
    }
}

/// <summary>EDRAM scoring of a preprocessed-face column. Loaded by name from saved pipelines.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class ScoringFactory : StateMappingFactory<ScoringInput, ScoringOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.ApplyEdram";

    /// <summary>For ML.NET, loading a zip.</summary>
    public ScoringFactory() : base(null, false)
    {
    }

    internal ScoringFactory(PipelineResources? fitted, bool schemaOnly) : base(fitted, schemaOnly)
    {
    }

    private protected override string Contract => ContractName;

    private protected override Action<ScoringInput, ScoringOutput> Map(PipelineResources resources) =>
        (i, o) => resources.Get(i.State, p => ScoringMapping.Open(p, resources)).Map(i, o);
}
