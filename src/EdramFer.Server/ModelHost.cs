using EdramFer.Analysis;
using EdramFer.ML;
using EdramFer.Vision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdramFer.Server;

/// <summary>The loaded model: scorer (all four outputs), the preprocessing it runs with, and how it is named in responses.</summary>
public sealed class LoadedModel(GlimpseScorer scorer, FacePreprocessor preprocessor) : IDisposable
{
    /// <summary>Scores preprocessed faces, glimpses and step probabilities included.</summary>
    public GlimpseScorer Scorer { get; } = scorer;
    /// <summary>The detector chain and crop of <c>edram score</c> for the same options.</summary>
    public FacePreprocessor Preprocessor { get; } = preprocessor;
    /// <summary>Labels, steps, sizes and metadata.</summary>
    public EdramModelInfo Info => Scorer.Info;
    /// <summary>The model file's name without extension.</summary>
    public string Id { get; } = Path.GetFileNameWithoutExtension(scorer.Info.Path);

    public void Dispose()
    {
        Preprocessor.Dispose();
        Scorer.Dispose();
    }
}

/// <summary>
/// Loads the model after the server starts listening (so <c>/healthz</c> answers at once and <c>/readyz</c> says when
/// scoring can start), then runs the <see cref="ScoringQueue"/> loop. A model that does not load stops the host; the
/// error is kept in <see cref="LoadError"/> for the caller to report.
/// </summary>
public sealed class ModelHost(ServerOptions options, ScoringQueue queue, IHostApplicationLifetime lifetime, ILogger<ModelHost> log)
    : BackgroundService
{
    private volatile LoadedModel? _model;

    /// <summary>The model, or null while it loads (or when it failed).</summary>
    public LoadedModel? Model => _model;

    /// <summary>Why the model did not load; null when it did or is still loading.</summary>
    public Exception? LoadError { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        LoadedModel model;
        try
        {
            model = await Task.Run(Load, stop);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LoadError = e;
            log.LogError("The model did not load: {Message}", e.Message);
            lifetime.StopApplication();
            return;
        }
        _model = model;
        log.LogInformation("Model {Id} ({Sha}) ready on {Device}; detectors {Chain}", model.Id, model.Info.Sha256[..12], model.Scorer.Device.Name,
            model.Preprocessor.ChainName);
        await queue.RunAsync(model.Scorer, stop);
    }

    private LoadedModel Load()
    {
        var scorer = GlimpseScorer.Load(options.ModelPath, options.GpuDevice, options.GpuFallback, options.Threads);
        try
        {
            var preprocess = options.Preprocess?.Invoke(scorer.Info.Preprocess) ?? scorer.Info.Preprocess;
            return new LoadedModel(scorer, new FacePreprocessor(preprocess));
        }
        catch
        {
            scorer.Dispose();
            throw;
        }
    }

    public override void Dispose()
    {
        _model?.Dispose();
        base.Dispose();
    }
}
