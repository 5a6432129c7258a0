using EdramFer.Analysis;
using OpenCvSharp;

namespace EdramFer.Video;

/// <summary>
/// A video's figure: one panel per track (the longest <see cref="MaxTracks"/>), each class's probability over time, drawn
/// with OpenCV like the analysis charts. Smoothed probabilities when the table has them, raw otherwise.
/// </summary>
public static class ProbabilityPlot
{
    /// <summary>Tracks drawn per figure, longest first.</summary>
    public const int MaxTracks = 6;

    // More points than pixels only thickens the lines; long tracks are averaged into this many buckets.
    private const int MaxPoints = 800;

    /// <summary>Draws the figure of one video's rows; null when the video has no scored face.</summary>
    public static Mat? Draw(IReadOnlyList<VideoRow> rows, IReadOnlyList<string> labels, string title)
    {
        var tracks = rows.Where(r => r.Status == VideoCsv.Ok && r.TrackId is not null).GroupBy(r => r.TrackId!.Value)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Take(MaxTracks).OrderBy(g => g.Key).ToList();
        if (tracks.Count == 0) return null;
        var panels = new List<Mat>();
        try
        {
            foreach (var track in tracks)
            {
                var points = track.OrderBy(r => r.FrameIndex).ToList();
                var smoothed = points[0].Smoothed is not null;
                var series = labels.Select((label, c) => Bucket(points, p => (p.TimestampMs ?? 0) / 1000.0, p => (smoothed ? p.Smoothed! : p.Probabilities)[c], label)).ToList();
                panels.Add(Charts.Lines($"{title}: track {track.Key} ({points.Count} frames{(smoothed ? ", smoothed" : "")})",
                    "time (s)", "probability", series, 0, 1, width: 900, height: 320));
            }
            var figure = new Mat();
            Cv2.VConcat(panels.ToArray(), figure);
            return figure;
        }
        finally
        {
            foreach (var p in panels) p.Dispose();
        }
    }

    /// <summary>One class's series, averaged in equal-count buckets when the track is long.</summary>
    private static Series Bucket(List<VideoRow> points, Func<VideoRow, double> x, Func<VideoRow, float> y, string name)
    {
        var size = (points.Count + MaxPoints - 1) / MaxPoints;
        var xs = new List<double>();
        var ys = new List<double>();
        for (var start = 0; start < points.Count; start += size)
        {
            var bucket = points.GetRange(start, Math.Min(size, points.Count - start));
            xs.Add(bucket.Average(x));
            ys.Add(bucket.Average(p => (double)y(p)));
        }
        return new Series(name, xs, ys);
    }
}
