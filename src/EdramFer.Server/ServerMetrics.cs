using System.Diagnostics.Metrics;

namespace EdramFer.Server;

/// <summary>
/// The service's own instruments (meter <see cref="MeterName"/>), exported with ASP.NET Core's request count and
/// latency histogram (<c>http.server.request.duration</c>) at <c>/metrics</c> in Prometheus text format.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "EdramFer.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _images;
    private readonly Counter<long> _faces;
    private readonly Counter<long> _problems;
    private readonly Histogram<int> _batchFaces;

    public ServerMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _images = _meter.CreateCounter<long>("edram.server.images", "{image}", "Images analysed, by result status (ok, no_face, error)");
        _faces = _meter.CreateCounter<long>("edram.server.faces", "{face}", "Faces scored");
        _problems = _meter.CreateCounter<long>("edram.server.problems", "{response}", "Error responses, by HTTP status and problem code");
        _batchFaces = _meter.CreateHistogram<int>("edram.server.batch.faces", "{face}", "Faces per ONNX Runtime call (batching across requests)",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
    }

    /// <summary>Reports the admitted images as a gauge (set once the queue exists).</summary>
    public void Observe(ScoringQueue queue) =>
        _meter.CreateObservableGauge("edram.server.queue.images", () => queue.Admitted, "{image}", "Images admitted and not yet answered");

    /// <summary>One image analysed.</summary>
    public void Image(string status, int faces)
    {
        _images.Add(1, new KeyValuePair<string, object?>("status", status));
        if (faces > 0) _faces.Add(faces);
    }

    /// <summary>One problem response.</summary>
    public void Problem(int httpStatus, string code) =>
        _problems.Add(1, new KeyValuePair<string, object?>("http.response.status_code", httpStatus), new KeyValuePair<string, object?>("code", code));

    /// <summary>One ONNX Runtime call of <paramref name="faces"/> faces.</summary>
    public void Batch(int faces) => _batchFaces.Record(faces);

    public void Dispose() => _meter.Dispose();
}
