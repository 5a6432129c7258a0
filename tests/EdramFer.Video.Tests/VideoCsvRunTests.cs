using EdramFer.ML;
using EdramFer.Tests.Shared;

namespace EdramFer.Video.Tests;

/// <summary>The resumable table writer in process: cancellation at every checkpoint of a two-video run.</summary>
public class VideoCsvRunTests
{
    [SharedDataFact("muxspace_facial_expressions/images")]
    public void Run_CancelledAtAnyCheckpointThenResumed_ByteIdenticalTable()
    {
        var dir = TestVideos.TempFolder("run-cancel");
        File.Copy(TestVideos.Acceptance, Path.Combine(dir, "b.mp4"));
        VideoInput[] videos = [new("a.mp4", TestVideos.Acceptance), new("missing.mp4", Path.Combine(dir, "missing.mp4")), new("b.mp4", Path.Combine(dir, "b.mp4"))];
        using var scorer = EdramScorer.Load(TestVideos.Model);
        var options = new VideoOptions { Preprocess = TestVideos.Preprocess, ChunkFrames = 7, DetectEvery = 2, Smoothing = SmoothingKind.Ema };
        using var analyzer = new VideoAnalyzer(scorer, options);
        var run = new VideoCsvRun(analyzer);
        var full = Path.Combine(dir, "full.csv");
        Assert.True(run.Run(videos, full, "id", resume: false, null, CancellationToken.None));
        var expected = File.ReadAllBytes(full);
        var checkpoints = 2 * 5 + 3; // 5 chunks of 7 frames per video, and the end of each video
        for (var stopAt = 1; stopAt < checkpoints; stopAt += 3)
        {
            var output = Path.Combine(dir, $"stopped-{stopAt}.csv");
            using var cts = new CancellationTokenSource();
            var reports = 0;
            var progress = new Sync(_ => { if (++reports == stopAt) cts.Cancel(); });
            Assert.False(run.Run(videos, output, "id", resume: false, progress, cts.Token));
            Assert.True(run.Run(videos, output, "id", resume: true, null, CancellationToken.None));
            Assert.Equal(expected, File.ReadAllBytes(output));
        }
        var error = Assert.Single(File.ReadAllLines(full), l => l.StartsWith("missing.mp4,", StringComparison.Ordinal));
        Assert.Contains("missing.mp4: video file not found", error);
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void Run_ResumeWithOtherOptions_RefusedNamingTheStateFile()
    {
        var dir = TestVideos.TempFolder("run-identity");
        using var scorer = EdramScorer.Load(TestVideos.Model);
        using var analyzer = new VideoAnalyzer(scorer, new VideoOptions { Preprocess = TestVideos.Preprocess, ChunkFrames = 5 });
        var output = Path.Combine(dir, "out.csv");
        using var cts = new CancellationTokenSource();
        Assert.False(new VideoCsvRun(analyzer).Run([new("a.mp4", TestVideos.Acceptance)], output, "first", false, new Sync(_ => cts.Cancel()), cts.Token));
        var e = Assert.Throws<InvalidOperationException>(() =>
            new VideoCsvRun(analyzer).Run([new("a.mp4", TestVideos.Acceptance)], output, "second", true, null, CancellationToken.None));
        Assert.Contains(output + ".partial.json belongs to another input, model or options", e.Message);
    }

    private sealed class Sync(Action<VideoProgress> report) : IProgress<VideoProgress>
    {
        public void Report(VideoProgress value) => report(value);
    }
}
