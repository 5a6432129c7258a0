using EdramFer.Vision;

namespace EdramFer.Video;

/// <summary>One face of a scored frame.</summary>
/// <param name="TrackId">the track it belongs to (unique within the video)</param>
/// <param name="Box">where it is, in frame pixels</param>
/// <param name="Detector">the detector that found it (ssd, yunet, haar; none without detection), or "tracked" when the box was carried from the last detection pass</param>
/// <param name="DetectorScore">the detector's confidence; NaN for carried boxes</param>
/// <param name="Label">the most probable class of <see cref="Probabilities"/></param>
/// <param name="Probabilities">raw class probabilities of this frame, in the model's label order</param>
/// <param name="Smoothed">the track's smoothed probabilities after this frame; null without smoothing</param>
/// <param name="Valence">valence; NaN when the model's valence/arousal head was not trained</param>
/// <param name="Arousal">arousal; NaN when untrained</param>
/// <param name="Glimpses">the glimpses' affine θ (steps × 6, PyTorch affine_grid convention) on the 100x100 face crop</param>
public sealed record FaceResult(int TrackId, FaceBox Box, string Detector, float DetectorScore, string Label, float[] Probabilities,
    float[]? Smoothed, float Valence, float Arousal, float[] Glimpses);

/// <summary>One sampled frame and its faces (empty: no face found).</summary>
/// <param name="Video">the video file</param>
/// <param name="FrameIndex">0-based index among all decoded frames</param>
/// <param name="TimestampMs">frame index × 1000 / the container's frame rate</param>
/// <param name="Faces">faces, largest first</param>
/// <param name="Checkpoint">set on the last frame of every chunk: the state to resume from after this frame</param>
public sealed record FrameResult(string Video, long FrameIndex, double TimestampMs, IReadOnlyList<FaceResult> Faces, VideoCheckpoint? Checkpoint);
