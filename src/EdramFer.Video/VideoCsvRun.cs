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
    internal sealed record State(string Identity, int Video, VideoCheckpoint? Checkpoint, long Bytes, long Rows);

    /// <summary>
    /// Runs <paramref name="videos"/> into <paramref name="output"/>. <paramref name="identity"/> names everything a resumed
    /// run must share with the interrupted one (inputs, model, options). Returns false when cancelled (the partial files
    /// are kept for <paramref name="resume"/>), true when the output is complete.
    /// </summary>
    public bool Run(IReadOnlyList<VideoInput> videos, string output, string identity, bool resume, IProgress<VideoProgress>? progress,
        CancellationToken cancel, Action<string>? log = null)
    {
        var partial = output + ".partial";
        var state = Restore(partial, identity, resume, videos.Count, log);
        var table = new VideoCsv(analyzer.Labels, analyzer.Options.Smoothing != SmoothingKind.None);
        using (var writer = new PartialWriter(partial, state))
        {
            if (state.Bytes == 0)
            {
                table.WriteHeader(writer.Csv);
                writer.Save(state);
            }
            for (var v = writer.State.Video; v < videos.Count; v++)
            {
                if (!RunVideo(videos[v], v, writer, table, progress, cancel)) return false;
                writer.Save(new State(identity, v + 1, null, 0, writer.State.Rows));
                progress?.Report(new VideoProgress(v, -1, writer.State.Rows));
            }
        }
        File.Move(partial, output, overwrite: true);
        File.Delete(partial + ".json");
        return true;
    }

    /// <summary>One video's rows from the saved checkpoint (or its start); false when cancelled.</summary>
    private bool RunVideo(VideoInput video, int index, PartialWriter writer, VideoCsv table, IProgress<VideoProgress>? progress, CancellationToken cancel)
    {
        var from = writer.State.Video == index ? writer.State.Checkpoint : null;
        var rows = writer.State.Rows;
        try
        {
            foreach (var frame in analyzer.Analyze(video.Path, from, cancel))
            {
                table.WriteFrame(writer.Csv, video.Name, frame);
                rows += Math.Max(1, frame.Faces.Count);
                if (frame.Checkpoint is not { } checkpoint) continue;
                writer.Save(new State(writer.State.Identity, index, checkpoint, 0, rows));
                progress?.Report(new VideoProgress(index, checkpoint.NextFrame, rows));
                if (cancel.IsCancellationRequested) return false;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or OpenCVException or UnauthorizedAccessException)
        {
            var message = e.Message.StartsWith(video.Path, StringComparison.Ordinal) ? e.Message : $"{video.Path}: {e.Message.Trim()}";
            table.WriteError(writer.Csv, video.Name, message);
            rows++;
        }
        writer.Save(writer.State with { Rows = rows });
        return true;
    }

    /// <summary>The saved state when resuming (after checking it belongs to this run), else a fresh one.</summary>
    private static State Restore(string partial, string identity, bool resume, int videoCount, Action<string>? log)
    {
        var statePath = partial + ".json";
        if (!resume) return new State(identity, 0, null, 0, 0);
        if (!File.Exists(partial) || !File.Exists(statePath))
        {
            log?.Invoke($"--resume: no {Path.GetFileName(partial)} with its state; starting from the beginning");
            return new State(identity, 0, null, 0, 0);
        }
        var saved = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath)) ?? throw new InvalidDataException($"{statePath}: empty resume state");
        if (saved.Identity != identity)
            throw new InvalidOperationException($"--resume: {statePath} belongs to another input, model or options; delete it or run without --resume");
        log?.Invoke($"resuming at video {saved.Video + 1} of {videoCount}, frame {saved.Checkpoint?.NextFrame ?? 0}");
        return saved;
    }

    /// <summary>The partial table, truncated to the saved length on resume; <see cref="Save"/> flushes it and records the state.</summary>
    private sealed class PartialWriter : IDisposable
    {
        private readonly FileStream _stream;
        private readonly StreamWriter _text;
        private readonly string _statePath;

        public PartialWriter(string partial, State state)
        {
            _statePath = partial + ".json";
            _stream = new FileStream(partial, state.Bytes > 0 ? FileMode.Open : FileMode.Create, FileAccess.Write, FileShare.Read);
            _stream.SetLength(state.Bytes); // drops rows written after the checkpoint
            _stream.Seek(0, SeekOrigin.End);
            _text = new StreamWriter(_stream, new UTF8Encoding(false));
            Csv = CsvWriter.Create(_text, null, leaveOpen: true);
            State = state;
        }

        public CsvWriter Csv { get; }
        public State State { get; private set; }

        public void Save(State state)
        {
            Csv.Flush();
            _text.Flush();
            _stream.Flush(flushToDisk: true);
            State = state with { Bytes = _stream.Length };
            WriteAtomically(_statePath, JsonSerializer.Serialize(State));
        }

        public void Dispose()
        {
            Csv.Dispose();
            _text.Dispose();
            _stream.Dispose();
        }
    }

    private static void WriteAtomically(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
