using EdramFer.Vision;

namespace EdramFer.Video.Tests;

/// <summary>The IoU tracker and the sampler on boxes and frame numbers (no video needed).</summary>
public class FaceTrackerTests
{
    private static FaceBox Box(int x, int y, int side = 100) => new(x, y, side, side, 1);

    [Fact]
    public void Update_FaceMovingLessThanItsSize_KeepsItsId()
    {
        var tracker = new FaceTracker(new VideoOptions(), TrackerState.Empty);
        var ids = Enumerable.Range(0, 10).Select(i => tracker.Update([Box(20 + 10 * i, 50)]).Single()).ToList();
        Assert.All(ids, id => Assert.Equal(1, id));
    }

    [Fact]
    public void Update_CutToAnotherPlace_NewIdAndOldTrackEndsAfterTheGap()
    {
        var tracker = new FaceTracker(new VideoOptions { TrackGap = 2 }, TrackerState.Empty);
        Assert.Equal(1, tracker.Update([Box(0, 0)]).Single());
        Assert.Equal(2, tracker.Update([Box(300, 300)]).Single());
        tracker.Update([Box(300, 300)]);
        Assert.Equal([1, 2], tracker.State.Tracks.Select(t => t.Id)); // track 1 missed 2 passes: still within the gap
        tracker.Update([Box(300, 300)]);
        Assert.Equal([2], tracker.State.Tracks.Select(t => t.Id));
        Assert.Equal(3, tracker.Update([Box(0, 0)])[0]); // ended tracks never come back
    }

    [Fact]
    public void Update_FaceReturnsWithinTheGap_ContinuesItsTrack()
    {
        var tracker = new FaceTracker(new VideoOptions { TrackGap = 3 }, TrackerState.Empty);
        tracker.Update([Box(0, 0)]);
        tracker.Update([]);
        tracker.Update([]);
        Assert.Equal(1, tracker.Update([Box(10, 0)]).Single());
    }

    [Fact]
    public void Update_TwoFaces_EachDetectionGoesToTheTrackItOverlapsMost()
    {
        var tracker = new FaceTracker(new VideoOptions(), TrackerState.Empty);
        Assert.Equal([1, 2], tracker.Update([Box(0, 0), Box(200, 0)]));
        Assert.Equal([2, 1], tracker.Update([Box(210, 0), Box(10, 0)])); // detection order does not matter
        Assert.Equal([(1, Box(10, 0)), (2, Box(210, 0))], tracker.Carry());
    }

    [Fact]
    public void Update_FromSavedState_SameIdsAsWithoutInterruption()
    {
        var options = new VideoOptions();
        FaceBox[][] passes = [[Box(0, 0)], [Box(5, 0), Box(300, 0)], [], [Box(310, 0)], [Box(600, 0), Box(12, 0)]];
        var straight = new FaceTracker(options, TrackerState.Empty);
        var expected = passes.Select(p => straight.Update(p)).ToList();
        var first = new FaceTracker(options, TrackerState.Empty);
        first.Update(passes[0]);
        first.Update(passes[1]);
        var json = System.Text.Json.JsonSerializer.Serialize(first.State);
        var resumed = new FaceTracker(options, System.Text.Json.JsonSerializer.Deserialize<TrackerState>(json)!);
        Assert.Equal(expected.Skip(2), passes.Skip(2).Select(p => resumed.Update(p)));
    }

    [Theory]
    [InlineData(1, 0, 1, 2, 3)]
    [InlineData(3, 0, 3, 6, 9)]
    public void IsSampled_Every_TakesEveryKthFrame(int every, params int[] expected)
    {
        var sampler = new FrameSampler(30, new VideoOptions { Every = every });
        Assert.Equal(expected, Enumerable.Range(0, expected[^1] + 1).Where(i => sampler.IsSampled(i)));
    }

    [Fact]
    public void IsSampled_Fps10Of29_97_OneFramePerTenthOfASecond()
    {
        var sampler = new FrameSampler(30000.0 / 1001, new VideoOptions { Fps = 10 });
        var taken = Enumerable.Range(0, 3000).Where(i => sampler.IsSampled(i)).ToList();
        Assert.Equal(1001, taken.Count); // 100.1 s of video: ticks 0, 0.1, ..., 100.0 s
        Assert.All(taken.Select((frame, n) => (frame, n)), p =>
        {
            var tick = p.n * 100.0;
            Assert.InRange(sampler.TimestampMs(p.frame) - tick, -1e-6, 1001.0 / 30 - 1e-6);
        });
    }

    [Fact]
    public void Add_WindowSmoothing_MeanOfTheLastFrames()
    {
        var smoother = new ProbabilitySmoother(new VideoOptions { Smoothing = SmoothingKind.Window, SmoothingWindow = 2 }, new Dictionary<int, float[][]>());
        Assert.Equal([1f, 0f], smoother.Add(1, [1f, 0f])!);
        Assert.Equal([0.5f, 0.5f], smoother.Add(1, [0f, 1f])!);
        Assert.Equal([0f, 1f], smoother.Add(1, [0f, 1f])!);
        Assert.Equal([0.2f, 0.8f], smoother.Add(2, [0.2f, 0.8f])!); // tracks are smoothed separately
    }
}
