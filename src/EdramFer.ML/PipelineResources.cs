using System.Runtime.CompilerServices;

namespace EdramFer.ML;

/// <summary>
/// The decoded states (ONNX sessions, detector pools, settings) of one fitted transformer or one loaded pipeline,
/// keyed by the stored payload they come from and disposed with their owner: an <see cref="EdramTransformer"/> or the
/// <see cref="EdramModel"/> of <c>mlContext.Model.LoadEdram</c>. Nothing outlives its owner in a static table.
/// </summary>
internal sealed class PipelineResources : IDisposable
{
    // Set only while LoadEdram runs mlContext.Model.Load, so the mapping factories ML.NET creates there find their owner.
    private static readonly AsyncLocal<PipelineResources?> Loading = new();

    private readonly object _lock = new();
    private readonly ConditionalWeakTable<object, object> _byOwner = new();
    private readonly Dictionary<string, object> _byText = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _owned = [];
    private bool _disposed;

    /// <param name="pipelineFolder">folder of the loaded zip (saved relative paths resolve against it); null for a fit</param>
    /// <param name="log">one line per notable event (the device a model runs on), to ML.NET's log</param>
    public PipelineResources(string? pipelineFolder, Action<string> log)
    {
        PipelineFolder = pipelineFolder;
        Log = log;
    }

    /// <summary>The loaded zip's folder; null for a fitted pipeline.</summary>
    public string? PipelineFolder { get; }

    /// <summary>Writes a line to the owning context's log.</summary>
    public Action<string> Log { get; }

    /// <summary>The resources of the pipeline LoadEdram is loading on this flow, or null (a plain Model.Load or a fit).</summary>
    public static PipelineResources? CurrentLoad => Loading.Value;

    /// <summary>Makes <paramref name="resources"/> the current load until the result is disposed.</summary>
    public static IDisposable BeginLoad(PipelineResources resources)
    {
        var previous = Loading.Value;
        Loading.Value = resources;
        return new Restore(() => Loading.Value = previous);
    }

    /// <summary>Registers the state already built for <paramref name="payload"/> (at Fit), owning it when disposable.</summary>
    public void Seed(string payload, object state)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _byText[payload] = state;
            if (state is IDisposable d) _owned.Add(d);
        }
    }

    /// <summary>
    /// The state of a stored payload, created once per payload by <paramref name="create"/> and owned from then on.
    /// Rows read the payload as a view of one stored string, so the lookup is by reference after the first row.
    /// </summary>
    public T Get<T>(ReadOnlyMemory<char> payload, Func<ReadOnlyMemory<char>, T> create) where T : class
    {
        if (payload.IsEmpty)
            throw new InvalidOperationException($"Column '{StateChannel.StateColumn}' is empty: the EdramFer transform's state did not reach the row (was the pipeline edited?)");
        var owner = StateChannel.Owner(payload);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byOwner.TryGetValue(owner, out var known)) return (T)known;
            var text = payload.ToString();
            if (!_byText.TryGetValue(text, out var state))
            {
                state = create(payload);
                _byText[text] = state;
                if (state is IDisposable d) _owned.Add(d);
            }
            _byOwner.AddOrUpdate(owner, state);
            return (T)state;
        }
    }

    /// <summary>The states of type <typeparamref name="T"/> built so far, in the order they were built.</summary>
    public IReadOnlyList<T> States<T>()
    {
        lock (_lock) return _byText.Values.OfType<T>().Distinct().ToList();
    }

    /// <summary>
    /// The resources a mapping factory serves: those of the fit that built it, else those of the LoadEdram in progress.
    /// A plain <c>mlContext.Model.Load</c> has neither and fails here, at load time, before any row.
    /// </summary>
    public static PipelineResources ForMapping(PipelineResources? fitted, string contractName, string hint = "") =>
        fitted ?? CurrentLoad ?? throw new InvalidOperationException(
            $"The EdramFer transform '{contractName}' refers to files by paths relative to its pipeline zip, which a plain " +
            $"mlContext.Model.Load cannot tell: load the zip with mlContext.Model.LoadEdram(path), which resolves them against the zip's folder{hint}");

    /// <summary>Disposes every state created or seeded here.</summary>
    public void Dispose()
    {
        List<IDisposable> owned;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            owned = [.. _owned];
            _owned.Clear();
            _byText.Clear();
            _byOwner.Clear();
        }
        foreach (var d in owned) d.Dispose();
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
