using System.Diagnostics;

namespace EdramFer.Fuzz;

/// <summary>Limits of an in-process fuzzing run.</summary>
public sealed record FuzzOptions
{
    /// <summary>How long to mutate after the corpus has been replayed.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop after this many executions (corpus included) even when time is left.</summary>
    public long MaxExecutions { get; init; } = long.MaxValue;

    /// <summary>Seed of the mutator: the same seed, corpus and target give the same inputs in the same order.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>An input still running after this long is a hang (the run stops: the stuck thread cannot be reclaimed).</summary>
    public TimeSpan InputTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Growth of the process's peak resident memory allowed over its peak after the first input (which loads the
    /// native libraries; the peak is reset when the run starts): an input that pushes it further is a memory failure.
    /// </summary>
    public long MemoryBudgetBytes { get; init; } = 1L << 30;

    /// <summary>Mutated inputs are cut to this length.</summary>
    public int MaxInputLength { get; init; } = 64 * 1024;

    /// <summary>Stop after this many distinct failures.</summary>
    public int MaxFailures { get; init; } = 5;
}

/// <summary>An input that broke the contract: "exception" (undocumented), "contract" (postcondition), "hang" or "memory".</summary>
public sealed record FuzzFailure(string Kind, string Message, byte[] Input)
{
    /// <summary>The input as base64, to paste into a regression test or decode into a corpus file.</summary>
    public string Base64 => Convert.ToBase64String(Input);

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {Message}\n  input ({Input.Length} bytes, base64): {Base64}";
}

/// <summary>What a run did: executions, distinct outcomes (with counts) and failures.</summary>
public sealed record FuzzReport(string Target, int CorpusInputs, long Executions, TimeSpan Elapsed,
    IReadOnlyDictionary<string, long> Outcomes, IReadOnlyList<FuzzFailure> Failures, long PeakMemoryBytes)
{
    /// <summary>Executions per second over the whole run (replay and mutation).</summary>
    public double ExecutionsPerSecond => Executions / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// The in-process fuzzer: replays a corpus, then mutates inputs drawn from a pool for a bounded time. An input that
/// gives an outcome not seen before joins the pool, a light feedback that leads mutation past the first checks of a
/// format without coverage instrumentation (AFL++ and libFuzzer do better with it; docs/fuzzing.md).
/// </summary>
public static class FuzzRunner
{
    private const int MaxPool = 4096;

    /// <summary>Runs <paramref name="target"/> on <paramref name="corpus"/> and then on mutations within <paramref name="options"/>.</summary>
    public static FuzzReport Run(FuzzTarget target, IReadOnlyList<byte[]> corpus, FuzzOptions options, Action<string>? log = null)
    {
        var pool = corpus.Count > 0 ? corpus.ToList() : [[]];
        var outcomes = new Dictionary<string, long>(StringComparer.Ordinal);
        var failures = new List<FuzzFailure>();
        var seenFailures = new HashSet<string>(StringComparer.Ordinal);
        using var worker = new InputWorker();
        PeakMemory.Reset();
        var clock = Stopwatch.StartNew();
        long executions = 0, baseline = 0;
        var stopped = false;

        bool Execute(byte[] input)
        {
            var (outcome, failure) = worker.Run(() => target.Run(input), options.InputTimeout);
            executions++;
            if (executions == 1) baseline = PeakMemory.Bytes();
            else if (failure is null && PeakMemory.Bytes() - baseline > options.MemoryBudgetBytes)
                failure = ("memory", $"peak resident memory rose to {PeakMemory.Bytes() >> 20:N0} MB, more than {options.MemoryBudgetBytes >> 20:N0} MB above the {baseline >> 20:N0} MB after the first input");
            if (failure is { } f)
            {
                if (seenFailures.Add(f.Kind + "|" + Outcome.Template(f.Message))) failures.Add(new FuzzFailure(f.Kind, f.Message, input));
                stopped = f.Kind is "hang" or "memory" || failures.Count >= options.MaxFailures;
                return false;
            }
            var isNew = !outcomes.ContainsKey(outcome!);
            outcomes[outcome!] = outcomes.GetValueOrDefault(outcome!) + 1;
            return isNew;
        }

        foreach (var input in corpus)
            if (stopped || !Continue(executions, options)) break;
            else Execute(input);
        log?.Invoke($"{target.Name}: replayed {executions} corpus inputs, {outcomes.Count} outcomes, {failures.Count} failures");

        var mutator = new Mutator(options.Seed, target.Dictionary, options.MaxInputLength);
        var pick = new Random(options.Seed ^ 0x5EED);
        var mutation = Stopwatch.StartNew();
        var nextLog = TimeSpan.FromSeconds(10);
        while (!stopped && mutation.Elapsed < options.Duration && Continue(executions, options))
        {
            var child = mutator.Mutate(pool[pick.Next(pool.Count)], pool);
            if (Execute(child) && pool.Count < MaxPool) pool.Add(child);
            if (log is not null && mutation.Elapsed > nextLog)
            {
                log($"{target.Name}: {executions:N0} inputs, {executions / clock.Elapsed.TotalSeconds:N0}/s, {outcomes.Count} outcomes, {failures.Count} failures");
                nextLog += TimeSpan.FromSeconds(10);
            }
        }
        return new FuzzReport(target.Name, corpus.Count, executions, clock.Elapsed, outcomes, failures, PeakMemory.Bytes());
    }

    /// <summary>Every file of a corpus folder, sorted by name; none when the folder does not exist.</summary>
    public static IReadOnlyList<byte[]> LoadCorpus(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList()
            : [];

    private static bool Continue(long executions, FuzzOptions options) => executions < options.MaxExecutions;

}
