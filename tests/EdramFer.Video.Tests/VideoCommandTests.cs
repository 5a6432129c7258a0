using System.Diagnostics;
using System.Text.Json;
using EdramFer.Tests.Shared;
using OpenCvSharp;

namespace EdramFer.Video.Tests;

/// <summary><c>edram video</c> run as a process, as a user runs it: tables, sidecar, figures, signals and resume.</summary>
public class VideoCommandTests
{
    private const string Photos = "muxspace_facial_expressions/images";

    internal static (int Code, string Output) Edram(string dir, params string[] args) => EdramCli.Run(dir, args);

    internal static List<Dictionary<string, string>> ReadTable(string path)
    {
        using var reader = new EdramFer.Cli.Scoring.CsvInput(path, "video");
        var rows = new List<Dictionary<string, string>>();
        while (reader.Next() is { } r) rows.Add(r.Fields.ToDictionary());
        return rows;
    }

    [SharedDataFact(Photos)]
    public void Video_AcceptanceVideo_RowPerFrameThreeTracksNoFaceRowSidecarPlotAnnotation()
    {
        var dir = TestVideos.TempFolder("cli-accept");
        var (code, output) = Edram(dir, "video", "--model", TestVideos.Model, "--input", TestVideos.Acceptance, "--output", "frames.csv",
            "--smooth", "ema", "--plot", "--annotate", "annotated.mp4");
        Assert.True(code == 0, output);
        var rows = ReadTable(Path.Combine(dir, "frames.csv"));
        Assert.Equal(30, rows.Count);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i.ToString()), rows.Select(r => r["frame_index"]));
        var header = File.ReadLines(Path.Combine(dir, "frames.csv")).First();
        Assert.StartsWith("video,frame_index,timestamp_ms,track_id,status,error,face_count,face_index,face_x,face_y,face_width,face_height,detector,detector_score,label,score_angry,", header);
        Assert.EndsWith("valence,arousal,smoothed_label,smoothed_angry,smoothed_disgust,smoothed_fear,smoothed_happy,smoothed_neutral,smoothed_sad,smoothed_surprise", header);
        Assert.Equal(["1", "2", "3"], rows.Where(r => r["status"] == "ok").Select(r => r["track_id"]).Distinct());
        var empty = rows[20];
        Assert.Equal(("no_face", "0", "", ""), (empty["status"], empty["face_count"], empty["label"], empty["score_happy"]));
        Assert.Equal("666.667", empty["timestamp_ms"]);
        Assert.All(rows.Where(r => r["status"] == "ok"), r => Assert.NotEqual("", r["smoothed_label"]));

        using var sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "frames.csv.json")));
        var root = sidecar.RootElement;
        Assert.Equal("ema", root.GetProperty("options").GetProperty("video.smoothing").GetString());
        Assert.Equal("0.3", root.GetProperty("options").GetProperty("video.smoothing_alpha").GetString());
        var summary = root.GetProperty("summaries")[0];
        Assert.Equal(30, summary.GetProperty("SampledFrames").GetInt32());
        Assert.Equal(29, summary.GetProperty("Faces").GetInt32());
        Assert.Equal([10, 10, 9], summary.GetProperty("Tracks").EnumerateArray().Select(t => t.GetProperty("Frames").GetInt32()));

        using var plot = Cv2.ImRead(Path.Combine(dir, "frames.acceptance.png"));
        Assert.Equal(3 * 320, plot.Height); // one panel per track
        using var annotated = new VideoCapture(Path.Combine(dir, "annotated.mp4"));
        Assert.Equal(30, (int)annotated.Get(VideoCaptureProperties.FrameCount));
    }

    [SharedDataFact(Photos)]
    public void Video_Fps10_RowsAtEveryThirdFrameWithTheirTimestamps()
    {
        var dir = TestVideos.TempFolder("cli-fps");
        var (code, output) = Edram(dir, "video", "--model", TestVideos.Model, "--input", TestVideos.Acceptance, "--output", "frames.csv", "--fps", "10");
        Assert.True(code == 0, output);
        var rows = ReadTable(Path.Combine(dir, "frames.csv"));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (3 * i).ToString()), rows.Select(r => r["frame_index"]));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (100 * i).ToString()), rows.Select(r => r["timestamp_ms"]));
    }

    [SharedDataFact(Photos)]
    public void Video_KilledThenResumed_ByteIdenticalCsv()
    {
        var dir = TestVideos.TempFolder("cli-kill");
        string[] common = ["video", "--model", TestVideos.Model, "--input", TestVideos.Long, "--chunk-frames", "8", "--detect-every", "2", "--smooth", "window"];
        var (full, fullOut) = Edram(dir, [.. common, "--output", "full.csv"]);
        Assert.True(full == 0, fullOut);

        using (var process = Start(dir, [.. common, "--output", "resumed.csv"]))
        {
            WaitForCheckpoint(dir, "resumed.csv", process);
            process.Kill(); // SIGKILL: no chance to finish the chunk or tidy up
            process.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(dir, "resumed.csv")));
        var (resumed, resumedOut) = Edram(dir, [.. common, "--output", "resumed.csv", "--resume"]);
        Assert.True(resumed == 0, resumedOut);
        Assert.Contains("resuming at video 1 of 1, frame ", resumedOut);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "full.csv")), File.ReadAllBytes(Path.Combine(dir, "resumed.csv")));
    }

    [SharedDataFact(Photos)]
    public void Video_SigtermThenResumed_Exit2AndByteIdenticalCsv()
    {
        var dir = TestVideos.TempFolder("cli-term");
        string[] common = ["video", "--model", TestVideos.Model, "--input", TestVideos.Long, "--chunk-frames", "8", "--every", "2", "--smooth", "ema"];
        var (full, fullOut) = Edram(dir, [.. common, "--output", "full.csv"]);
        Assert.True(full == 0, fullOut);

        using (var process = Start(dir, [.. common, "--output", "resumed.csv"]))
        {
            WaitForCheckpoint(dir, "resumed.csv", process);
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) kill.WaitForExit();
            Assert.True(process.WaitForExit(60_000), "edram did not stop after SIGTERM");
            Assert.Equal(2, process.ExitCode);
        }
        var (resumed, resumedOut) = Edram(dir, [.. common, "--output", "resumed.csv", "--resume"]);
        Assert.True(resumed == 0, resumedOut);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "full.csv")), File.ReadAllBytes(Path.Combine(dir, "resumed.csv")));
    }

    private static Process Start(string dir, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edram.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Waits until the run has saved a checkpoint inside the video (not only the header), so the signal lands mid-run.</summary>
    private static void WaitForCheckpoint(string dir, string output, Process process)
    {
        var state = Path.Combine(dir, output + ".partial.json");
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(120))
        {
            Assert.False(process.HasExited, "edram finished before it could be interrupted");
            try
            {
                if (File.Exists(state) && JsonDocument.Parse(File.ReadAllText(state)).RootElement.GetProperty("Checkpoint").ValueKind == JsonValueKind.Object)
                    return;
            }
            catch (Exception e) when (e is IOException or JsonException) { } // replaced while being read
            Thread.Sleep(50);
        }
        Assert.Fail("no checkpoint within 120 s");
    }
}
