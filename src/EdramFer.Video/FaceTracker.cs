using EdramFer.Vision;

namespace EdramFer.Video;

/// <summary>
/// Assigns track ids across frames by the overlap (IoU) of boxes. On a detection pass each detection continues the live
/// track whose last box overlaps it most (greedy, highest IoU first, at least <see cref="VideoOptions.TrackIou"/>);
/// unmatched detections start new tracks; a track that misses more than <see cref="VideoOptions.TrackGap"/> passes ends.
/// Between detection passes <see cref="Carry"/> repeats the boxes of the tracks seen at the last pass.
/// </summary>
/// <remarks>
/// Limits: position only, no appearance. A cut to another person at about the same place continues the old track; two
/// faces that cross swap ids when their boxes overlap more with each other's past box; a face that moves more than
/// about its own size between detection passes (fast motion, a large <see cref="VideoOptions.DetectEvery"/>) starts a
/// new track; carried boxes do not move between passes.
/// </remarks>
public sealed class FaceTracker
{
    private readonly double _minIou;
    private readonly int _maxGap;
    private readonly List<TrackState> _tracks;
    private int _nextId;

    /// <summary>A tracker continuing from <paramref name="state"/> (<see cref="TrackerState.Empty"/> for a new video).</summary>
    public FaceTracker(VideoOptions options, TrackerState state)
    {
        _minIou = options.TrackIou;
        _maxGap = options.TrackGap;
        _tracks = [.. state.Tracks];
        _nextId = state.NextId;
    }

    /// <summary>The state to save (or hand to a new tracker) after the current frame.</summary>
    public TrackerState State => new(_nextId, _tracks.OrderBy(t => t.Id).ToList());

    /// <summary>A detection pass: the track id of every detection, in detection order.</summary>
    public int[] Update(IReadOnlyList<FaceBox> detections)
    {
        var ids = new int[detections.Count];
        var pairs = new List<(double Iou, int Track, int Detection)>();
        for (var t = 0; t < _tracks.Count; t++)
            for (var d = 0; d < detections.Count; d++)
                if (Iou(_tracks[t].Box, detections[d]) is var iou && iou >= _minIou) pairs.Add((iou, t, d));
        // Highest overlap first; equal overlaps by older track, then by detection order, so the result never depends on sort stability.
        pairs.Sort((a, b) => a.Iou != b.Iou ? b.Iou.CompareTo(a.Iou)
            : a.Track != b.Track ? _tracks[a.Track].Id.CompareTo(_tracks[b.Track].Id) : a.Detection.CompareTo(b.Detection));
        var trackUsed = new bool[_tracks.Count];
        var detectionUsed = new bool[detections.Count];
        foreach (var (_, t, d) in pairs)
        {
            if (trackUsed[t] || detectionUsed[d]) continue;
            trackUsed[t] = detectionUsed[d] = true;
            _tracks[t] = _tracks[t] with { Box = detections[d], Missed = 0 };
            ids[d] = _tracks[t].Id;
        }
        for (var t = 0; t < trackUsed.Length; t++)
            if (!trackUsed[t]) _tracks[t] = _tracks[t] with { Missed = _tracks[t].Missed + 1 };
        _tracks.RemoveAll(t => t.Missed > _maxGap);
        for (var d = 0; d < detections.Count; d++)
        {
            if (detectionUsed[d]) continue;
            ids[d] = _nextId++;
            _tracks.Add(new TrackState(ids[d], detections[d], 0));
        }
        return ids;
    }

    /// <summary>Between detection passes: the tracks seen at the last pass with their boxes, largest first.</summary>
    public IReadOnlyList<(int Id, FaceBox Box)> Carry() =>
        _tracks.Where(t => t.Missed == 0)
            .OrderByDescending(t => (long)t.Box.Width * t.Box.Height).ThenBy(t => t.Id)
            .Select(t => (t.Id, t.Box)).ToList();

    /// <summary>Intersection over union of two boxes (0 when either is empty).</summary>
    public static double Iou(FaceBox a, FaceBox b)
    {
        long x0 = Math.Max(a.X, b.X), y0 = Math.Max(a.Y, b.Y);
        long x1 = Math.Min(a.X + a.Width, b.X + b.Width), y1 = Math.Min(a.Y + a.Height, b.Y + b.Height);
        if (x1 <= x0 || y1 <= y0) return 0;
        double inter = (x1 - x0) * (y1 - y0);
        double union = (long)a.Width * a.Height + (long)b.Width * b.Height - inter;
        return union > 0 ? inter / union : 0;
    }
}
