namespace EdramFer.Video;

/// <summary>
/// Temporal smoothing of each track's probabilities, fed in frame order. EMA keeps one running average per track; the
/// window keeps the last N probability vectors and averages them. The state is part of <see cref="VideoCheckpoint"/>.
/// </summary>
public sealed class ProbabilitySmoother
{
    private readonly SmoothingKind _kind;
    private readonly double _alpha;
    private readonly int _window;
    private readonly Dictionary<int, float[][]> _state;

    /// <summary>A smoother continuing from <paramref name="state"/> (empty for a new video).</summary>
    public ProbabilitySmoother(VideoOptions options, IReadOnlyDictionary<int, float[][]> state)
    {
        _kind = options.Smoothing;
        _alpha = options.SmoothingAlpha;
        _window = options.SmoothingWindow;
        _state = state.ToDictionary(p => p.Key, p => p.Value.Select(v => (float[])v.Clone()).ToArray());
    }

    /// <summary>Copy of the state, for a checkpoint.</summary>
    public IReadOnlyDictionary<int, float[][]> State =>
        new SortedDictionary<int, float[][]>(_state.ToDictionary(p => p.Key, p => p.Value.Select(v => (float[])v.Clone()).ToArray()));

    /// <summary>The smoothed probabilities of track <paramref name="id"/> after this frame; null without smoothing.</summary>
    public float[]? Add(int id, ReadOnlySpan<float> probabilities)
    {
        if (_kind == SmoothingKind.None) return null;
        var current = probabilities.ToArray();
        var history = _state.GetValueOrDefault(id, []);
        float[] smoothed;
        if (_kind == SmoothingKind.Ema)
        {
            smoothed = current;
            if (history.Length > 0)
                for (var c = 0; c < smoothed.Length; c++) smoothed[c] = (float)(_alpha * current[c] + (1 - _alpha) * history[0][c]);
            _state[id] = [smoothed];
        }
        else
        {
            var recent = history.Append(current).TakeLast(_window).ToArray();
            smoothed = new float[current.Length];
            for (var c = 0; c < smoothed.Length; c++) smoothed[c] = (float)recent.Average(p => (double)p[c]);
            _state[id] = recent;
        }
        return (float[])smoothed.Clone();
    }

    /// <summary>Forgets tracks that ended (ids are never reused), so the state stays as small as the live tracks.</summary>
    public void Retain(IEnumerable<int> liveIds)
    {
        var live = liveIds.ToHashSet();
        foreach (var id in _state.Keys.Where(k => !live.Contains(k)).ToList()) _state.Remove(id);
    }
}
