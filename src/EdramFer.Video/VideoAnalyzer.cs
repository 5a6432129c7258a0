using System.Runtime.CompilerServices;
using EdramFer.ML;
using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Video;

/// <summary>
/// Per-frame, per-face emotions of a video, streamed: decode → sample → detect (every <see cref="VideoOptions.DetectEvery"/>-th
/// sampled frame) → track → crop → score in batches → smooth, the next chunk located on a thread of its own while this one is
/// scored (<see cref="VideoOptions.PrepareAhead"/>). Memory holds a few chunks of face crops, whatever the video's length.
/// </summary>
/// <example>
/// <code>
/// using var scorer = EdramScorer.Load("onnx/edram-fer2013.onnx");
/// using var analyzer = new VideoAnalyzer(scorer, new VideoOptions { Preprocess = scorer.Info.Preprocess, Fps = 10 });
/// foreach (var frame in analyzer.Analyze("clip.mp4"))
///     foreach (var face in frame.Faces) Console.WriteLine($"{frame.TimestampMs} ms: track {face.TrackId} {face.Label}");
/// </code>
/// </example>
public sealed class VideoAnalyzer : IDisposable
{
    private readonly EdramScorer _scorer;
    private readonly FaceDetectionChain _detector;
    private readonly FaceCrops _crops;

    /// <summary>Validates <paramref name="options"/> and loads the detectors; <paramref name="scorer"/> stays the caller's to dispose.</summary>
    public VideoAnalyzer(EdramScorer scorer, VideoOptions options)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Preprocess.OutputSize != scorer.Info.InputSize)
            throw new ArgumentException($"Preprocess.OutputSize is {options.Preprocess.OutputSize}, but the model takes {scorer.Info.InputSize}x{scorer.Info.InputSize}");
        _scorer = scorer;
        Options = options;
        _detector = new FaceDetectionChain(options.Preprocess);
        try
        {
            _crops = new FaceCrops(options.Preprocess);
        }
        catch
        {
            _detector.Dispose();
            throw;
        }
    }

    /// <summary>The options in use.</summary>
    public VideoOptions Options { get; }
    /// <summary>The model's labels, in probability order.</summary>
    public IReadOnlyList<string> Labels => _scorer.Info.Labels;
    /// <summary>True when the model's valence/arousal head was trained.</summary>
    public bool HasValenceArousal => _scorer.Info.HasValenceArousal;
    /// <summary>The detector chain, e.g. "haar".</summary>
    public string DetectorChain => _detector.Detects ? DetectorNames.Format(_detector.Kinds) : DetectorNames.Off;

    /// <summary>
    /// The sampled frames of <paramref name="path"/>, in order, from <paramref name="resumeFrom"/> (a checkpoint of an earlier
    /// run with the same options) or the start. Opening failures throw before the first frame; a file that ends before
    /// the frames it declares throws after the frames that decoded. Cancellation is checked between chunks.
    /// </summary>
    public IEnumerable<FrameResult> Analyze(string path, VideoCheckpoint? resumeFrom = null, CancellationToken cancel = default)
    {
        var source = VideoSource.Open(path);
        return Frames(source, resumeFrom ?? VideoCheckpoint.Start, cancel);
    }

    /// <summary>As <see cref="Analyze"/>, decoding and scoring on the thread pool.</summary>
    public async IAsyncEnumerable<FrameResult> AnalyzeAsync(string path, VideoCheckpoint? resumeFrom = null,
        [EnumeratorCancellation] CancellationToken cancel = default)
    {
        using var frames = (await Task.Run(() => Analyze(path, resumeFrom, cancel), cancel)).GetEnumerator();
        while (await Task.Run(frames.MoveNext, cancel)) yield return frames.Current;
    }

    private IEnumerable<FrameResult> Frames(VideoSource source, VideoCheckpoint start, CancellationToken cancel)
    {
        using (source)
        {
            var smoother = new ProbabilitySmoother(Options, start.Smoothing);
            var chunks = Chunks(source, start, cancel);
            // Decoding, detection, tracking and cropping of the next chunks overlap ONNX Runtime on this one.
            using var ahead = Options.PrepareAhead > 0 ? new ReadAhead<PendingChunk>(chunks, Options.PrepareAhead, cancel) : null;
            foreach (var chunk in (IEnumerable<PendingChunk>?)ahead ?? chunks)
            {
                cancel.ThrowIfCancellationRequested();
                foreach (var r in Score(source.Path, chunk, smoother)) yield return r;
            }
        }
    }

    /// <summary>
    /// The sampled frames located (detected or carried, tracked, cropped) in chunks of <see cref="VideoOptions.ChunkFrames"/>,
    /// each with the decoding and tracking state after it; the tracker is used here only, so this may run ahead of scoring.
    /// </summary>
    private IEnumerable<PendingChunk> Chunks(VideoSource source, VideoCheckpoint start, CancellationToken cancel)
    {
        var sampler = new FrameSampler(source.Fps, Options);
        var tracker = new FaceTracker(Options, start.Tracker);
        source.SkipTo(start.NextFrame);
        var sampled = start.SampledFrames;
        var chunk = new List<PendingFrame>(Options.ChunkFrames);
        using var frame = new Mat();
        while (true)
        {
            if (chunk.Count == 0) cancel.ThrowIfCancellationRequested();
            if (!source.Read(frame)) break;
            var index = source.Position - 1;
            if (!sampler.IsSampled(index)) continue;
            chunk.Add(Locate(frame, index, sampler.TimestampMs(index), sampled++ % Options.DetectEvery == 0, tracker));
            if (chunk.Count < Options.ChunkFrames) continue;
            yield return new PendingChunk(chunk, new(source.Position, sampled, tracker.State, VideoCheckpoint.Start.Smoothing));
            chunk = new List<PendingFrame>(Options.ChunkFrames);
        }
        if (chunk.Count > 0) yield return new PendingChunk(chunk, new(source.Position, sampled, tracker.State, VideoCheckpoint.Start.Smoothing));
        source.CheckComplete();
    }

    /// <summary>Located frames and the checkpoint after them, whose smoothing state scoring fills in.</summary>
    private sealed record PendingChunk(List<PendingFrame> Frames, VideoCheckpoint After);

    /// <summary>A sampled frame's faces (detected or carried), their track ids and crops, not yet scored.</summary>
    private sealed record PendingFrame(long Index, double TimestampMs, List<(int Id, FaceBox Box, string Detector, float Score, byte[] Crop)> Faces);

    private PendingFrame Locate(Mat frame, long index, double timestampMs, bool detect, FaceTracker tracker)
    {
        var faces = new List<(int, FaceBox, string, float, byte[])>();
        if (detect)
        {
            // Without detection every frame is one face: the whole frame.
            IReadOnlyList<FaceBox> boxes = [new FaceBox(0, 0, frame.Width, frame.Height, 1f)];
            DetectorKind? kind = null;
            if (_detector.Detects)
            {
                var found = _detector.Detect(frame, Options.MaxFaces);
                (boxes, kind) = (found.Faces, found.Detector);
            }
            var ids = tracker.Update(boxes);
            for (var i = 0; i < boxes.Count; i++)
                faces.Add((ids[i], boxes[i], DetectorNames.OfFace(boxes[i], kind), boxes[i].Score, _crops.Crop(frame, boxes[i], !_detector.Detects)));
        }
        else
        {
            foreach (var (id, box) in tracker.Carry())
                faces.Add((id, box, "tracked", float.NaN, _crops.Crop(frame, box, !_detector.Detects)));
        }
        return new PendingFrame(index, timestampMs, faces);
    }

    /// <summary>Scores a chunk's crops in batches, then smooths in frame order; the last frame carries the checkpoint.</summary>
    private List<FrameResult> Score(string video, PendingChunk pending, ProbabilitySmoother smoother)
    {
        var (chunk, after) = pending;
        var crops = chunk.SelectMany(f => f.Faces).Select(f => (byte[]?)f.Crop).ToList();
        var classes = _scorer.Classes;
        var glimpseValues = _scorer.GlimpseValues;
        var probabilities = new float[crops.Count * classes];
        var va = new float[crops.Count * 2];
        var glimpses = new float[crops.Count * glimpseValues];
        for (var start = 0; start < crops.Count; start += Options.BatchSize)
        {
            var n = Math.Min(Options.BatchSize, crops.Count - start);
            var batch = _scorer.Score(crops.GetRange(start, n));
            batch.Probabilities.CopyTo(probabilities, start * classes);
            batch.ValenceArousal.CopyTo(va, start * 2);
            batch.Glimpses.CopyTo(glimpses, start * glimpseValues);
        }
        var results = new List<FrameResult>(chunk.Count);
        var k = 0;
        foreach (var f in chunk)
        {
            var faces = new List<FaceResult>(f.Faces.Count);
            foreach (var (id, box, detector, score, _) in f.Faces)
            {
                var p = probabilities.AsSpan(k * classes, classes).ToArray();
                var best = EdramScorer.ArgMax(p);
                faces.Add(new FaceResult(id, box, detector, score, best >= 0 ? Labels[best] : "", p, smoother.Add(id, p),
                    HasValenceArousal ? va[2 * k] : float.NaN, HasValenceArousal ? va[2 * k + 1] : float.NaN,
                    glimpses.AsSpan(k * glimpseValues, glimpseValues).ToArray()));
                k++;
            }
            results.Add(new FrameResult(video, f.Index, f.TimestampMs, faces, null));
        }
        smoother.Retain(after.Tracker.Tracks.Select(t => t.Id));
        results[^1] = results[^1] with { Checkpoint = after with { Smoothing = smoother.State } };
        return results;
    }

    /// <summary>Releases the detectors.</summary>
    public void Dispose()
    {
        _detector.Dispose();
        _crops.Dispose();
    }
}
