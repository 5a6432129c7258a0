using EdramFer.ML;
using EdramFer.Tests.Shared;

namespace EdramFer.Video.Tests;

/// <summary>The library API on real videos made from face photos, with the shipped model.</summary>
public class VideoAnalyzerTests
{
    private const string Photos = "muxspace_facial_expressions/images";

    private static List<FrameResult> Analyze(VideoOptions options, string? video = null)
    {
        using var scorer = EdramScorer.Load(TestVideos.Model);
        using var analyzer = new VideoAnalyzer(scorer, options with { Preprocess = TestVideos.Preprocess });
        return analyzer.Analyze(video ?? TestVideos.Acceptance).ToList();
    }

    [SharedDataFact(Photos)]
    public void Analyze_AcceptanceVideo_EveryFrameThreeTracksAndTheEmptyFrame()
    {
        var frames = Analyze(new VideoOptions());
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), frames.Select(f => f.FrameIndex));
        Assert.Equal(1000.0 / 30 * 7, frames[7].TimestampMs, 9);
        Assert.Empty(frames[20].Faces);
        Assert.All(frames.Where(f => f.FrameIndex != 20), f => Assert.Single(f.Faces));
        var ids = frames.Select(f => f.Faces.Count == 1 ? f.Faces[0].TrackId : 0).ToArray();
        Assert.All(ids[..10], id => Assert.Equal(1, id));   // the moving face keeps its track
        Assert.All(ids[10..20], id => Assert.Equal(2, id)); // the cut starts a new one
        Assert.All(ids[21..], id => Assert.Equal(3, id));   // and the face after the empty frame a third
        var moving = frames[9].Faces[0].Box;
        Assert.True(FaceTracker.Iou(moving, ToBox(TestVideos.FaceOne(9))) > 0.5, $"box {moving} is not on the face placed at {TestVideos.FaceOne(9)}");
        foreach (var face in frames.SelectMany(f => f.Faces))
        {
            Assert.Equal(1.0, face.Probabilities.Sum(), 4);
            Assert.Equal("yunet", face.Detector); // the shipped model's chain
            Assert.Equal(6 * 6, face.Glimpses.Length);
            Assert.Null(face.Smoothed);
        }
        Assert.NotNull(frames[^1].Checkpoint);
    }

    [SharedDataFact(Photos)]
    public void Analyze_FpsSampling_PicksFirstFrameAtOrAfterEachTick()
    {
        var frames = Analyze(new VideoOptions { Fps = 12 });
        // 30 fps sampled at 12/s: ticks at 0, 83.3, 166.7, 250 ... ms; frames are 33.3 ms apart.
        long[] expected = [0, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28];
        Assert.Equal(expected, frames.Select(f => f.FrameIndex));
        for (var n = 0; n < expected.Length; n++)
        {
            var tick = n * 1000.0 / 12;
            Assert.True(frames[n].TimestampMs >= tick - 1e-6 && frames[n].TimestampMs - tick < 1000.0 / 30,
                $"frame {frames[n].FrameIndex} at {frames[n].TimestampMs} ms is not the first frame at or after {tick} ms");
        }
        Assert.Empty(frames[8].Faces); // frame 20, the empty one
    }

    [SharedDataFact(Photos)]
    public void Analyze_DetectEvery3_CarriedBoxesKeepTheTrack()
    {
        var every = Analyze(new VideoOptions());
        var third = Analyze(new VideoOptions { DetectEvery = 3 });
        Assert.Equal(30, third.Count);
        for (var i = 0; i < 30; i++)
        {
            var detected = i % 3 == 0;
            Assert.All(third[i].Faces, f => Assert.Equal(detected ? "yunet" : "tracked", f.Detector));
            if (!detected && third[i].Faces.Count > 0) Assert.Equal(third[i - i % 3].Faces[0].Box, third[i].Faces[0].Box);
        }
        // Frames 0-9 are one track either way; detection frame 9 is the last of the first face.
        Assert.All(third.Take(10), f => Assert.Equal(1, f.Faces.Single().TrackId));
        Assert.Equal(every[0].Faces[0].Probabilities, third[0].Faces[0].Probabilities);
        // Frame 20 is carried from detection frame 18 (the second face), so it is not empty here: the limit of carrying.
        Assert.Equal(2, third[20].Faces.Single().TrackId);
    }

    [SharedDataFact(Photos)]
    public void Analyze_EmaSmoothing_IsTheRunningAverageOfTheRawProbabilities()
    {
        const double alpha = 0.4;
        var frames = Analyze(new VideoOptions { Smoothing = SmoothingKind.Ema, SmoothingAlpha = alpha });
        var track = frames.SelectMany(f => f.Faces).Where(f => f.TrackId == 2).ToList();
        var expected = track[0].Probabilities.Select(p => (double)p).ToArray();
        Assert.Equal(track[0].Probabilities, track[0].Smoothed);
        foreach (var face in track.Skip(1))
        {
            for (var c = 0; c < expected.Length; c++) expected[c] = (float)(alpha * face.Probabilities[c] + (1 - alpha) * expected[c]);
            for (var c = 0; c < expected.Length; c++) Assert.Equal(expected[c], face.Smoothed![c], 5);
        }
    }

    [SharedDataFact(Photos)]
    public void Analyze_ResumedFromEveryCheckpoint_SameResultsAsOneRun()
    {
        var options = new VideoOptions { ChunkFrames = 4, Smoothing = SmoothingKind.Window, SmoothingWindow = 3, DetectEvery = 2 };
        var whole = Analyze(options);
        using var scorer = EdramScorer.Load(TestVideos.Model);
        using var analyzer = new VideoAnalyzer(scorer, options with { Preprocess = TestVideos.Preprocess });
        foreach (var checkpoint in whole.Where(f => f.Checkpoint is not null).Select(f => f.Checkpoint!))
        {
            var rest = analyzer.Analyze(TestVideos.Acceptance, checkpoint).ToList();
            var expected = whole.Where(f => f.FrameIndex >= checkpoint.NextFrame).ToList();
            Assert.Equal(expected.Count, rest.Count);
            for (var i = 0; i < rest.Count; i++)
                Assert.Equal(Describe(expected[i]), Describe(rest[i]));
        }
    }

    [SharedDataFact(Photos)]
    public void Analyze_LocatedAhead_SameFramesAndCheckpointsAsInTurn()
    {
        var options = new VideoOptions { ChunkFrames = 4, Smoothing = SmoothingKind.Window, SmoothingWindow = 3, DetectEvery = 2 };
        var inTurn = Analyze(options with { PrepareAhead = 0 });
        foreach (var ahead in new[] { 1, 3 })
        {
            var located = Analyze(options with { PrepareAhead = ahead });
            Assert.Equal(inTurn.Select(Describe), located.Select(Describe));
            Assert.Equal(inTurn.Select(f => Describe(f.Checkpoint)), located.Select(f => Describe(f.Checkpoint)));
        }
        Assert.Equal(8, inTurn.Count(f => f.Checkpoint is not null)); // 30 frames in chunks of 4
    }

    [SharedDataFact(Photos)]
    public void Analyze_LeftAfterAFewFrames_TheAnalyzerServesTheNextVideo()
    {
        using var scorer = EdramScorer.Load(TestVideos.Model);
        using var analyzer = new VideoAnalyzer(scorer, new VideoOptions { ChunkFrames = 2, PrepareAhead = 2, Preprocess = TestVideos.Preprocess });
        // Leaving the enumeration early stops the thread locating chunks ahead before the detectors are used again.
        Assert.Equal(3, analyzer.Analyze(TestVideos.Acceptance).Take(3).Count());
        var again = analyzer.Analyze(TestVideos.Acceptance).ToList();
        Assert.Equal(Analyze(new VideoOptions { PrepareAhead = 0 }).Select(Describe), again.Select(Describe));
    }

    [SharedDataFact(Photos)]
    public async Task AnalyzeAsync_SameFramesAsAnalyze()
    {
        var sync = Analyze(new VideoOptions { Every = 2 });
        using var scorer = EdramScorer.Load(TestVideos.Model);
        using var analyzer = new VideoAnalyzer(scorer, new VideoOptions { Every = 2, Preprocess = TestVideos.Preprocess });
        var async = new List<FrameResult>();
        await foreach (var f in analyzer.AnalyzeAsync(TestVideos.Acceptance)) async.Add(f);
        Assert.Equal(Enumerable.Range(0, 15).Select(i => 2L * i), async.Select(f => f.FrameIndex));
        Assert.Equal(sync.Select(Describe), async.Select(Describe));
    }

    [SharedDataFact(Photos)]
    public void Crop_FrameSavedAsStillImage_SameFaceAndPixelsAsFacePreprocessor()
    {
        var dir = TestVideos.TempFolder("parity");
        var still = Path.Combine(dir, "frame5.png");
        using var source = VideoSource.Open(TestVideos.Acceptance);
        using var frame = new OpenCvSharp.Mat();
        for (var i = 0; i <= 5; i++) Assert.True(source.Read(frame));
        Assert.True(OpenCvSharp.Cv2.ImWrite(still, frame));
        var preprocess = TestVideos.Preprocess;
        using var detector = new Vision.FaceDetectionChain(preprocess);
        using var crops = new FaceCrops(preprocess);
        using var images = new Vision.FacePreprocessor(preprocess);
        var face = detector.Detect(frame, 8).Faces.Single();
        var expected = images.ProcessFile(still);
        Assert.Equal(expected.Face, face);
        Assert.Equal(expected.Pixels, crops.Crop(frame, face, wholeFrame: false));
    }

    private static Vision.FaceBox ToBox(OpenCvSharp.Rect r) => new(r.X, r.Y, r.Width, r.Height, 1);

    private static string Describe(VideoCheckpoint? c) => c is null ? "" :
        $"{c.NextFrame},{c.SampledFrames},{c.Tracker.NextId}," + string.Join(";", c.Tracker.Tracks.Select(t => $"{t.Id}:{t.Box}:{t.Missed}"))
        + "|" + string.Join(";", c.Smoothing.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}:" + string.Join(",", kv.Value.SelectMany(v => v))));

    private static string Describe(FrameResult f) => $"{f.FrameIndex}:" + string.Join(";", f.Faces.Select(x =>
        $"{x.TrackId},{x.Box},{x.Detector},{string.Join(",", x.Probabilities)},{string.Join(",", x.Smoothed ?? [])}"));
}
