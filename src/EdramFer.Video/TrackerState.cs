using EdramFer.Vision;

namespace EdramFer.Video;

/// <summary>One live track: its last box and how many detection passes it has missed.</summary>
/// <param name="Id">track id, unique within a video (1, 2, ...)</param>
/// <param name="Box">the box of its last detection, in frame pixels</param>
/// <param name="Missed">consecutive detection passes without a matching detection</param>
public sealed record TrackState(int Id, FaceBox Box, int Missed);

/// <summary>Everything the tracker carries from one frame to the next.</summary>
/// <param name="NextId">the id the next new track gets</param>
/// <param name="Tracks">live tracks, in id order</param>
public sealed record TrackerState(int NextId, IReadOnlyList<TrackState> Tracks)
{
    /// <summary>The state of a video's first frame.</summary>
    public static TrackerState Empty { get; } = new(1, []);
}

/// <summary>
/// Where to continue a video: saved after every chunk, so a resumed run continues with the same ids, boxes, detection
/// rhythm and smoothing state as an uninterrupted one and writes the same bytes.
/// </summary>
/// <param name="NextFrame">frames decoded so far (the index of the next frame to decode)</param>
/// <param name="SampledFrames">frames scored so far (decides which sampled frames run the detector)</param>
/// <param name="Tracker">the tracker after the last decoded frame</param>
/// <param name="Smoothing">each live track's recent probabilities (EMA: one entry, the running average)</param>
public sealed record VideoCheckpoint(long NextFrame, long SampledFrames, TrackerState Tracker, IReadOnlyDictionary<int, float[][]> Smoothing)
{
    /// <summary>The start of a video.</summary>
    public static VideoCheckpoint Start { get; } = new(0, 0, TrackerState.Empty, new Dictionary<int, float[][]>());
}
