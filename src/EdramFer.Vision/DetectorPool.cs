using System.Collections.Concurrent;
using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>
/// Instances of one detector kind, rented one per call: OpenCV DNN nets and cascade classifiers are not thread-safe,
/// so each concurrent caller gets its own. The pool grows to the peak concurrency and keeps the instances.
/// </summary>
internal sealed class DetectorPool : IDisposable
{
    private readonly Func<IFaceDetector> _factory;
    private readonly ConcurrentBag<IFaceDetector> _idle = [];
    private readonly ConcurrentQueue<IFaceDetector> _created = new();
    private volatile bool _disposed;

    /// <summary>Creates the first instance at once, so a bad model file fails in the constructor.</summary>
    public DetectorPool(DetectorKind kind, Func<IFaceDetector> factory)
    {
        Kind = kind;
        _factory = factory;
        _idle.Add(Create());
    }

    public DetectorKind Kind { get; }

    public IReadOnlyList<FaceBox> Detect(Mat image)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var detector = _idle.TryTake(out var d) ? d : Create();
        try
        {
            return detector.Detect(image);
        }
        finally
        {
            _idle.Add(detector);
        }
    }

    private IFaceDetector Create()
    {
        var d = _factory();
        _created.Enqueue(d);
        return d;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        while (_created.TryDequeue(out var d)) d.Dispose();
    }
}
