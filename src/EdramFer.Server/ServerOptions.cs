using EdramFer.Vision;

namespace EdramFer.Server;

/// <summary>
/// Everything <c>edram serve</c> is configured with; the CLI binds its settings to one of these and the tests build
/// their own. Defaults are the safe ones: loopback only, bounded queue, bounded request size.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The EDRAM ONNX model (an <c>edram-train export</c>).</summary>
    public required string ModelPath { get; init; }
    /// <summary>Preprocessing: the model's own (<c>preprocess.*</c> metadata) when null, else these detector options.</summary>
    public Func<PreprocessOptions, PreprocessOptions>? Preprocess { get; init; }
    /// <summary>Addresses to listen on; loopback by default so nothing is exposed without asking.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";
    /// <summary>Faces per ONNX Runtime call; requests waiting together are scored in one call of up to this many.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Images admitted at once (being preprocessed, queued or scored); one more gets 503 with Retry-After.</summary>
    public int MaxQueue { get; init; } = 64;
    /// <summary>Largest request body in bytes (413 above it); 20 MiB holds a few large JPEGs.</summary>
    public long MaxRequestBytes { get; init; } = 20L * 1024 * 1024;
    /// <summary>Images per <c>/v1/analyze/batch</c> request (413 above it).</summary>
    public int MaxBatchImages { get; init; } = 16;
    /// <summary>Faces scored per image, the largest first (as <c>edram score --faces all --max-faces</c>).</summary>
    public int MaxFaces { get; init; } = 16;
    /// <summary>Time allowed for one request, upload included (408 after it).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Seconds a client is told to wait after a 503 (Retry-After).</summary>
    public int RetryAfterSeconds { get; init; } = 1;
    /// <summary>When set, every <c>/v1</c> request must carry it (X-Api-Key or Authorization: Bearer); 401 otherwise.</summary>
    public string? ApiKey { get; init; }
    /// <summary>CUDA device, null for the CPU; <see cref="GpuFallback"/> lets a missing CUDA fall back to the CPU.</summary>
    public int? GpuDevice { get; init; }
    /// <summary>Fall back to the CPU when CUDA does not load.</summary>
    public bool GpuFallback { get; init; }
    /// <summary>ONNX Runtime intra-op threads (0 = all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ModelPath);
        Require(BatchSize >= 1, $"BatchSize must be >= 1, got {BatchSize}");
        Require(MaxQueue >= 1, $"MaxQueue must be >= 1, got {MaxQueue}");
        Require(MaxRequestBytes >= 1024, $"MaxRequestBytes must be >= 1024, got {MaxRequestBytes}");
        Require(MaxBatchImages >= 1, $"MaxBatchImages must be >= 1, got {MaxBatchImages}");
        Require(MaxFaces >= 1, $"MaxFaces must be >= 1, got {MaxFaces}");
        Require(RequestTimeout > TimeSpan.Zero, $"RequestTimeout must be positive, got {RequestTimeout}");
        Require(RetryAfterSeconds >= 1, $"RetryAfterSeconds must be >= 1, got {RetryAfterSeconds}");
        Require(ApiKey is null || ApiKey.Length >= 16, "ApiKey must be at least 16 characters (a guessable key protects nothing)");
        Require(Threads >= 0, $"Threads must be >= 0, got {Threads}");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}
