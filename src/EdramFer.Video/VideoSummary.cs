namespace EdramFer.Video;

/// <summary>One track of a video.</summary>
/// <param name="Id">track id</param>
/// <param name="Frames">sampled frames in which it was scored</param>
/// <param name="FirstMs">timestamp of its first frame</param>
/// <param name="LastMs">timestamp of its last frame</param>
/// <param name="Dominant">its most frequent label (smoothed labels when smoothing was on; ties: the model's label order)</param>
/// <param name="LabelFrames">frames per label</param>
public sealed record TrackSummary(int Id, int Frames, double FirstMs, double LastMs, string Dominant, IReadOnlyDictionary<string, int> LabelFrames);

/// <summary>
/// What a video's rows add up to. Time per label counts every scored face for the mean interval between sampled frames
/// (two faces in one frame count twice).
/// </summary>
/// <param name="Video">the video column</param>
/// <param name="SampledFrames">sampled frames with rows</param>
/// <param name="Faces">face rows (status ok)</param>
/// <param name="NoFaceFrames">sampled frames without a face</param>
/// <param name="SampleIntervalMs">mean time between sampled frames (0 with fewer than two)</param>
/// <param name="SecondsPerLabel">time per label in seconds, in the model's label order</param>
/// <param name="Tracks">tracks, by id</param>
/// <param name="Error">the error row's message, or null</param>
public sealed record VideoSummary(string Video, int SampledFrames, int Faces, int NoFaceFrames, double SampleIntervalMs,
    IReadOnlyDictionary<string, double> SecondsPerLabel, IReadOnlyList<TrackSummary> Tracks, string? Error)
{
    /// <summary>One summary per video of an output table, in order (rows of a video are contiguous).</summary>
    public static IReadOnlyList<VideoSummary> FromTable(string csvPath, IReadOnlyList<string> labels) =>
        VideoReports.ByVideo(VideoRow.Read(csvPath, labels)).Select(rows => Of(rows, labels)).ToList();

    /// <summary>The summary of one video's rows.</summary>
    public static VideoSummary Of(IReadOnlyList<VideoRow> rows, IReadOnlyList<string> labels)
    {
        var frames = rows.Where(r => r.FrameIndex is not null).GroupBy(r => r.FrameIndex!.Value).Select(g => g.First().TimestampMs ?? 0).ToList();
        var interval = frames.Count > 1 ? (frames.Max() - frames.Min()) / (frames.Count - 1) : 0;
        var faces = rows.Where(r => r.Status == VideoCsv.Ok).ToList();
        string LabelOf(VideoRow r) => r.Smoothed is not null ? r.SmoothedLabel : r.Label;
        var seconds = labels.ToDictionary(l => l, l => faces.Count(r => LabelOf(r) == l) * interval / 1000.0);
        var tracks = faces.Where(r => r.TrackId is not null).GroupBy(r => r.TrackId!.Value).OrderBy(g => g.Key).Select(g =>
        {
            var counts = labels.ToDictionary(l => l, l => g.Count(r => LabelOf(r) == l));
            var dominant = labels.OrderByDescending(l => counts[l]).First(); // OrderBy is stable: ties keep label order
            return new TrackSummary(g.Key, g.Count(), g.Min(r => r.TimestampMs ?? 0), g.Max(r => r.TimestampMs ?? 0), dominant, counts);
        }).ToList();
        var error = rows.FirstOrDefault(r => r.Status == VideoCsv.Error)?.Error;
        return new VideoSummary(rows[0].Video, frames.Count, faces.Count, rows.Count(r => r.Status == VideoCsv.NoFace), interval, seconds, tracks, error);
    }
}
