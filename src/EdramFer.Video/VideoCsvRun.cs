using System.Text;
using System.Text.Json;
using CsvHelper;
using OpenCvSharp;

namespace EdramFer.Video;

/// <summary>A video of a run: the name written in the <c>video</c> column and the file to open.</summary>
public sealed record VideoInput(string Name, string Path);

/// <summary>Progress of a run after a flushed chunk.</summary>
/// <param name="Video">index of the video in the run</param>
/// <param name="FramesDone">frames decoded so far in this video</param>
/// <param name="Rows">rows in the output so far</param>
public sealed record VideoProgress(int Video, long FramesDone, long Rows);

/// <summary>
/// Writes the rows of every video to <c>&lt;output&gt;.partial</c>, flushed at every chunk's checkpoint together with
/// <c>&lt;output&gt;.partial.json</c> (the video index, its <see cref="VideoCheckpoint"/> and the file length then), and
/// renames it to the output at the end. A resumed run truncates the partial file to the saved length and continues from
/// the checkpoint, so the output is byte-identical to an uninterrupted run whether the process was stopped by Ctrl-C,
/// SIGTERM or killed outright. A video that fails gives an <c>error</c> row and the run goes on.
/// </summary>
public sealed class VideoCsvRun(VideoAnalyzer analyzer)
{
    /// <summary>What the run has written when it stops.</summary>
    private sealed record State(string Identity, int Video, VideoCheckpoint? Checkpoint, long Bytes, long Rows);

    /// <summary>
    /// Runs <paramref name="videos"/> into <paramref name="output"/>. <paramref name="identity"/> names everything a resumed
    /// run must share with the interrupted one (inputs, model, options). Returns false when cancelled (the partial files
    /// are kept for <paramref name="resume"/>), true when the output is complete.
    /// </summary>
    public bool Run(IReadOnlyList<VideoInput> videos, string output, string identity, bool resume, IProgress<VideoProgress>? progress,
        CancellationToken cancel, Action<string>? log = null)
    {
        var partial = output + ".partial";
        var statePath = output + ".partial.json";
        var table = new VideoCsv(analyzer.Labels, analyzer.Options.Smoothing != SmoothingKind.None);
        var state = new State(identity, 0, null, 0, 0);
        if (resume && File.Exists(partial) && File.Exists(statePath))
        {
            var saved = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath))
                        ?? throw new InvalidDataException($"{statePath}: empty resume state");
            if (saved.Identity != identity)
                throw new InvalidOperationException($"--resume: {statePath} belongs to another input, model or options; delete it or run without --resume");
            using (var f = new FileStream(partial, FileMode.Open, FileAccess.Write)) f.SetLength(saved.Bytes); // drops rows after the checkpoint
            state = saved;
            log?.Invoke($"resuming at video {saved.Video + 1} of {videos.Count}, frame {saved.Checkpoint?.NextFrame ?? 0}");
        }
        else if (resume)
            log?.Invoke($"--resume: no {Path.GetFileName(partial)} with its state; starting from the beginning");

        using (var stream = new FileStream(partial, state.Bytes > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read))
        using (var text = new StreamWriter(stream, new UTF8Encoding(false)))
        using (var csv = CsvWriter.Create(text, null, leaveOpen: true))
        {
            void Save(State s)
            {
                csv.Flush();
                text.Flush();
                stream.Flush(flushToDisk: true);
                state = s with { Bytes = stream.Length };
                WriteAtomically(statePath, JsonSerializer.Serialize(state));
            }
            if (state.Bytes == 0)
            {
                table.WriteHeader(csv);
                Save(state);
            }
            for (var v = state.Video; v < videos.Count; v++)
            {
                var from = v == state.Video ? state.Checkpoint : null;
                var rows = state.Rows;
                try
                {
                    foreach (var frame in analyzer.Analyze(videos[v].Path, from, cancel))
                    {
                        table.WriteFrame(csv, videos[v].Name, frame);
                        rows += Math.Max(1, frame.Faces.Count);
                        if (frame.Checkpoint is not { } checkpoint) continue;
                        Save(new State(identity, v, checkpoint, 0, rows));
                        progress?.Report(new VideoProgress(v, checkpoint.NextFrame, rows));
                        if (cancel.IsCancellationRequested) return false;
                    }
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    return false;
                }
                catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException or OpenCVException or UnauthorizedAccessException)
                {
                    var message = e.Message.StartsWith(videos[v].Path, StringComparison.Ordinal) ? e.Message : $"{videos[v].Path}: {e.Message.Trim()}";
                    table.WriteError(csv, videos[v].Name, message);
                    rows++;
                }
                Save(new State(identity, v + 1, null, 0, rows));
                progress?.Report(new VideoProgress(v, -1, rows));
            }
        }
        File.Move(partial, output, overwrite: true);
        File.Delete(statePath);
        return true;
    }

    private static void WriteAtomically(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
