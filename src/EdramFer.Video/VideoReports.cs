using System.Text.Json;
using EdramFer.Analysis;

namespace EdramFer.Video;

/// <summary>What a finished run writes beside its table: the sidecar JSON and one figure per video.</summary>
public static class VideoReports
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Writes <c>&lt;output&gt;.json</c>: the model, the detector chain, every option (smoothing included), the inputs,
    /// the columns and the per-video summaries. CSV has no header metadata, so this is where a reader finds them.
    /// </summary>
    public static string WriteSidecar(string output, object model, VideoAnalyzer analyzer, IReadOnlyList<VideoInput> videos,
        IReadOnlyList<VideoSummary> summaries, IReadOnlyList<string> files)
    {
        var path = output + ".json";
        var sidecar = new
        {
            table = Path.GetFileName(output),
            model,
            detector_chain = analyzer.DetectorChain,
            options = analyzer.Options.ToMetadata(),
            raw_probabilities = "score_<class> columns (always); smoothed_<class> and smoothed_label when video.smoothing is not none",
            columns = new VideoCsv(analyzer.Labels, analyzer.Options.Smoothing != SmoothingKind.None).Header,
            videos = videos.Select(v => new { name = v.Name, path = v.Path }),
            summaries,
            files,
        };
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(sidecar, Indented));
        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// Draws one PNG per video with scored faces: <c>&lt;output without extension&gt;.&lt;video file name&gt;.png</c>
    /// (with the video's position in the run added when two videos share a name). Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> WritePlots(string output, IReadOnlyList<string> labels)
    {
        var written = new List<string>();
        var stem = Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileNameWithoutExtension(output));
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        foreach (var rows in ByVideo(VideoRow.Read(output, labels)))
        {
            index++;
            var name = AttentionAnalysis.Safe(Path.GetFileNameWithoutExtension(rows[0].Video));
            var file = $"{stem}.{name}.png";
            if (!used.Add(file)) file = $"{stem}.{index}-{name}.png";
            using var figure = ProbabilityPlot.Draw(rows, labels, Path.GetFileName(rows[0].Video));
            if (figure is null) continue;
            Charts.Save(figure, file);
            written.Add(file);
        }
        return written;
    }

    /// <summary>The rows of each video (contiguous in the table), one video at a time.</summary>
    public static IEnumerable<List<VideoRow>> ByVideo(IEnumerable<VideoRow> rows)
    {
        var video = new List<VideoRow>();
        foreach (var row in rows)
        {
            if (video.Count > 0 && row.Video != video[0].Video)
            {
                yield return video;
                video = [];
            }
            video.Add(row);
        }
        if (video.Count > 0) yield return video;
    }
}
