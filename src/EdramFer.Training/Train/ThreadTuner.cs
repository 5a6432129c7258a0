using System.Diagnostics;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

/// <summary>
/// Picks TorchSharp's intra-op thread count while training on a shared CPU. With other processes busy,
/// libtorch's OpenMP threads wait on each other and all cores can be 3x slower than one (measured on a
/// 2-core machine); idle, all cores win. Every <see cref="Period"/> batches it times a few batches with
/// the other setting and keeps the faster one. Thread count does not change the arithmetic's result
/// beyond float summation order.
/// </summary>
public sealed class ThreadTuner
{
    const int Period = 60, Probe = 4;
    readonly int[] _candidates;
    int _current, _batch;
    double _currentRate;
    int? _probing;
    double _probeSeconds, _ownSeconds;
    int _probeCount, _ownCount;
    readonly Stopwatch _clock = new();

    public ThreadTuner(int cores)
    {
        _candidates = cores > 1 ? [cores, 1] : [1];
        _current = _candidates[0];
        set_num_threads(_current);
    }

    public int Threads => _probing ?? _current;

    public void BeforeBatch() => _clock.Restart();

    public void AfterBatch()
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        _batch++;
        if (_candidates.Length == 1) return;
        if (_probing is int other)
        {
            _probeSeconds += seconds; _probeCount++;
            if (_probeCount < Probe) return;
            double probeRate = _probeCount / _probeSeconds;
            _currentRate = _ownCount > 0 ? _ownCount / _ownSeconds : 0;
            if (probeRate > _currentRate * 1.1) _current = other;
            _probing = null; _ownSeconds = 0; _ownCount = 0;
            set_num_threads(_current);
            return;
        }
        if (_batch > 2) { _ownSeconds += seconds; _ownCount++; } // skip warm-up batches
        if (_batch % Period == 0 && _ownCount >= Probe)
        {
            _probing = _candidates.First(c => c != _current);
            _probeSeconds = 0; _probeCount = 0;
            set_num_threads(_probing.Value);
        }
    }
}
