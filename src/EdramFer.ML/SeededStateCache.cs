using System.Runtime.CompilerServices;

namespace EdramFer.ML;

/// <summary><see cref="StateCache{T}"/> that can be primed with the state built at Fit, so it is not built twice.</summary>
internal sealed class SeededStateCache<T>(Func<ReadOnlyMemory<char>, T> create) where T : class
{
    private readonly StateCache<T> _cache = new(create);
    private readonly ConditionalWeakTable<string, T> _seeded = new();

    public void Seed(string payload, T state) => _seeded.AddOrUpdate(payload, state);

    public T Get(ReadOnlyMemory<char> payload)
    {
        if (StateChannel.Owner(payload) is string s && _seeded.TryGetValue(s, out var seeded)) return seeded;
        return _cache.Get(payload);
    }
}
