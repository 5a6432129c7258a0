using EdramFer.Vision;

using Keys = EdramFer.Contracts.OnnxContract.Metadata;

namespace EdramFer.Server;

/// <summary>What <c>GET /v1/model</c> says: the model, how images are preprocessed, the model card's metrics and the service's limits.</summary>
public sealed record ModelDescription(
    string Id,
    string Sha256,
    IReadOnlyList<string> Labels,
    int Steps,
    int InputSize,
    bool HasValenceArousal,
    string Device,
    IReadOnlyDictionary<string, string> Preprocessing,
    IReadOnlyDictionary<string, string> Metrics,
    IReadOnlyDictionary<string, long> Limits)
{
    /// <summary>Metadata keys reported as the model card's metrics, when the export wrote them.</summary>
    private static readonly string[] MetricKeys = [Keys.Accuracy, Keys.AccuracyWithoutFlip, Keys.BestEpoch, Keys.TrainingData, Keys.FlipAveraging, Keys.Preset, Keys.GlimpseSize];

    internal static ModelDescription Of(LoadedModel model, ServerOptions options)
    {
        var info = model.Info;
        var device = model.Scorer.Device;
        return new ModelDescription(model.Id, info.Sha256, info.Labels, info.Steps, info.InputSize, info.HasValenceArousal,
            device.FallbackReason is { } why ? $"{device.Name} ({why})" : device.Name,
            model.Preprocessor.Options.ToMetadata().ToDictionary(p => p.Key[PreprocessOptions.MetadataPrefix.Length..], p => p.Value),
            MetricKeys.Where(info.Metadata.ContainsKey).ToDictionary(k => k[(k.IndexOf('.') + 1)..], k => info.Metadata[k]),
            new Dictionary<string, long>
            {
                ["batch_size"] = options.BatchSize,
                ["max_queue"] = options.MaxQueue,
                ["max_request_bytes"] = options.MaxRequestBytes,
                ["max_batch_images"] = options.MaxBatchImages,
                ["max_faces"] = options.MaxFaces,
                ["max_pixels"] = model.Preprocessor.Options.MaxPixels,
                ["request_timeout_seconds"] = (long)options.RequestTimeout.TotalSeconds,
            });
    }
}
