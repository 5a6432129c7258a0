using System.Globalization;
using CsvHelper;
using EdramFer.Contracts;
using EdramFer.Vision;

namespace EdramFer.Video;

/// <summary>
/// The video output table: <c>video, frame_index, timestamp_ms, track_id</c>, then the common output schema (<c>status,
/// error, face_count, face_index, face_x, face_y, face_width, face_height, detector, detector_score, label,
/// score_&lt;class&gt;..., valence, arousal</c>), then <c>smoothed_label, smoothed_&lt;class&gt;...</c> when smoothing is on.
/// One row per face per sampled frame; a frame without a face is one <c>no_face</c> row; a video that fails is an
/// <c>error</c> row naming the file. Numbers are invariant and round-trip; NaN is an empty field.
/// </summary>
public sealed class VideoCsv(IReadOnlyList<string> labels, bool smoothing)
{
    /// <summary>Status of a scored face.</summary>
    public const string Ok = RowStatus.Ok;
    /// <summary>Status of a sampled frame without a face.</summary>
    public const string NoFace = RowStatus.NoFace;
    /// <summary>Status of a video that could not be (fully) decoded.</summary>
    public const string Error = RowStatus.Error;

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Header { get; } =
    [
        "video", "frame_index", "timestamp_ms", "track_id", .. OutputSchema.Columns(labels),
        .. smoothing ? ["smoothed_label", .. labels.Select(l => "smoothed_" + l)] : Array.Empty<string>(),
    ];

    /// <summary>Writes the header row.</summary>
    public void WriteHeader(CsvWriter csv)
    {
        foreach (var h in Header) csv.WriteField(h);
        csv.EndRecord();
    }

    /// <summary>Writes the rows of one sampled frame: one per face, or one <c>no_face</c> row.</summary>
    public void WriteFrame(CsvWriter csv, string video, FrameResult frame)
    {
        if (frame.Faces.Count == 0)
        {
            WriteFixed(csv, video, Number(frame.FrameIndex), Timestamp(frame.TimestampMs), "", NoFace, "no face found in the frame", "0", "");
            WriteEmpty(csv, Header.Count - 8);
            csv.EndRecord();
            return;
        }
        for (var i = 0; i < frame.Faces.Count; i++)
        {
            var f = frame.Faces[i];
            WriteFixed(csv, video, Number(frame.FrameIndex), Timestamp(frame.TimestampMs), Number(f.TrackId), Ok, "",
                Number(frame.Faces.Count), Number(i));
            foreach (var v in new[] { f.Box.X, f.Box.Y, f.Box.Width, f.Box.Height }) csv.WriteField(Number(v));
            csv.WriteField(f.Detector);
            csv.WriteField(Number(f.DetectorScore));
            csv.WriteField(f.Label);
            foreach (var p in f.Probabilities) csv.WriteField(Number(p));
            csv.WriteField(Number(f.Valence));
            csv.WriteField(Number(f.Arousal));
            if (smoothing)
            {
                var best = f.Smoothed is { } s ? ML.EdramScorer.ArgMax(s) : -1;
                csv.WriteField(best >= 0 ? labels[best] : "");
                foreach (var p in f.Smoothed ?? []) csv.WriteField(Number(p));
            }
            csv.EndRecord();
        }
    }

    /// <summary>Writes the row of a video that failed, with the message (which names the file).</summary>
    public void WriteError(CsvWriter csv, string video, string message)
    {
        WriteFixed(csv, video, "", "", "", Error, message, "", "");
        WriteEmpty(csv, Header.Count - 8);
        csv.EndRecord();
    }

    private static void WriteFixed(CsvWriter csv, params string[] fields)
    {
        foreach (var f in fields) csv.WriteField(f);
    }

    private static void WriteEmpty(CsvWriter csv, int count)
    {
        for (var i = 0; i < count; i++) csv.WriteField("");
    }

    internal static string Number(long v) => v.ToString(CultureInfo.InvariantCulture);
    internal static string Number(float v) => float.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
    internal static string Timestamp(double ms) => Math.Round(ms, 3).ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>One row of a video table, as read back for summaries, plots and annotation.</summary>
public sealed record VideoRow(string Video, long? FrameIndex, double? TimestampMs, int? TrackId, string Status, string Error,
    FaceBox? Box, string Label, float[] Probabilities, string SmoothedLabel, float[]? Smoothed)
{
    /// <summary>Streams the rows of a table written by <see cref="VideoCsv"/>.</summary>
    public static IEnumerable<VideoRow> Read(string path, IReadOnlyList<string> labels)
    {
        using var text = new StreamReader(path);
        using var csv = CsvReader.Create(text, null, leaveOpen: true);
        csv.ReadHeader();
        var columns = csv.Headers.Select((h, i) => (h, i)).ToDictionary(p => p.h, p => p.i);
        var smoothing = columns.ContainsKey("smoothed_label");
        while (csv.Read())
        {
            string F(string name) => columns.TryGetValue(name, out var i) && i < csv.FieldCount ? csv.GetString(i) ?? "" : "";
            long? L(string name) => long.TryParse(F(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
            float P(string name) => float.TryParse(F(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : float.NaN;
            FaceBox? box = L("face_x") is { } x ? new FaceBox((int)x, (int)L("face_y")!, (int)L("face_width")!, (int)L("face_height")!, P("detector_score")) : null;
            yield return new VideoRow(F("video"), L("frame_index"),
                double.TryParse(F("timestamp_ms"), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : null,
                (int?)L("track_id"), F("status"), F("error"), box, F("label"), labels.Select(l => P("score_" + l)).ToArray(),
                smoothing ? F("smoothed_label") : "", smoothing ? labels.Select(l => P("smoothed_" + l)).ToArray() : null);
        }
    }
}
