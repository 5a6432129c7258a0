using System.Globalization;
using System.Text;
using EdramFer.Fuzz;

namespace EdramFer.Bench;

/// <summary>
/// <c>fuzz [--seconds N] [--seed N] [--targets a,b] [--no-write]</c>: the long in-process fuzzing run: every harness of
/// fuzz/EdramFer.Fuzz replays its corpus and then mutates for N seconds (default 300); writes "## Fuzzing" of
/// docs/benchmarks.md (inputs/s, outcomes, failures per target). Failing inputs go to fuzz/findings/&lt;target&gt;/;
/// exit 1 when there is any. The test run does the same for a few seconds per target.
/// </summary>
internal static class FuzzBenchmark
{
    public const string Command = "dotnet run --project bench/EdramFer.Bench -c Release -- fuzz";

    public static int Run(string[] args)
    {
        int seconds = 300, seed = 1;
        var targets = FuzzTargets.Names.ToList();
        var write = true;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seconds" && i + 1 < args.Length && int.TryParse(args[++i], CultureInfo.InvariantCulture, out var s) && s >= 0) seconds = s;
            else if (args[i] == "--seed" && i + 1 < args.Length && int.TryParse(args[++i], CultureInfo.InvariantCulture, out var n) && n >= 0) seed = n;
            else if (args[i] == "--targets" && i + 1 < args.Length) targets = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            else if (args[i] == "--no-write") write = false;
            else { Console.Error.WriteLine($"fuzz: bad argument '{args[i]}'; expected --seconds N, --seed N, --targets {string.Join(",", FuzzTargets.Names)} or --no-write"); return 2; }
        }
        if (targets.FirstOrDefault(t => !FuzzTargets.Names.Contains(t)) is { } unknown)
        {
            Console.Error.WriteLine($"fuzz: unknown target '{unknown}'; expected some of {string.Join(",", FuzzTargets.Names)}");
            return 2;
        }

        var loadBefore = BenchmarkDocs.LoadAverage();
        var table = new StringBuilder();
        table.AppendLine("| target | corpus files | inputs run | inputs/s | distinct outcomes | failures | peak memory (MB) |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        var failures = new List<string>();
        foreach (var name in targets)
        {
            using var target = FuzzTargets.Create(name);
            var corpus = FuzzRunner.LoadCorpus(FuzzCommands.CorpusFolder(name));
            var options = new FuzzOptions { Duration = TimeSpan.FromSeconds(seconds), Seed = seed };
            var report = FuzzRunner.Run(target, corpus, options, Console.Error.WriteLine);
            Console.WriteLine(FuzzCommands.Summary(report));
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {corpus.Count} | {report.Executions:N0} | {report.ExecutionsPerSecond:N0} | {report.Outcomes.Count:N0} | {report.Failures.Count} | {report.PeakMemoryBytes >> 20:N0} |");
            if (report.Failures.Count == 0) continue;
            foreach (var f in report.Failures) Console.WriteLine(f);
            var folder = FuzzCommands.SaveFindings(report, Path.Combine(BenchmarkDocs.RepoRoot(), "fuzz", "findings", name));
            failures.AddRange(report.Failures.Select(f => $"{name}: {f.Kind}: {f.Message.Split('\n')[0]} (input in {Path.GetRelativePath(BenchmarkDocs.RepoRoot(), folder)})"));
        }

        var body = new StringBuilder();
        body.AppendLine($"The in-process fuzzer of `fuzz/EdramFer.Fuzz` (docs/fuzzing.md): each harness replays its committed corpus");
        body.AppendLine($"(`fuzz/corpus/<target>`, regressions included), then runs seeded mutations (seed {seed}) for {seconds} s, checking its contract");
        body.AppendLine("on every input (documented exceptions only, postconditions, 10 s per input, peak memory at most 1 GB above the start).");
        body.AppendLine("A distinct outcome is one kind of result (a status or refusal message with names and numbers taken out); new ones");
        body.AppendLine("join the mutation pool. Without coverage feedback this finds shallow defects; AFL++ or libFuzzer go deeper.");
        body.AppendLine("Peak memory: the process's peak resident memory while the target ran; one process runs the targets in turn, so");
        body.AppendLine("it includes what the earlier ones left behind (`--targets` runs one alone).");
        body.AppendLine();
        body.Append(table);
        body.AppendLine();
        body.AppendLine(failures.Count == 0 ? "No failures." : "Failures:\n\n" + string.Join("\n", failures.Select(f => "- " + f)));
        body.AppendLine();
        body.AppendLine($"Load average (1 min) before / after: {loadBefore} / {BenchmarkDocs.LoadAverage()}: above the core count, other work shared the machine.");
        body.AppendLine($"Machine: {Environment.ProcessorCount} logical cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), .NET {Environment.Version}, one input at a time.");
        body.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `{Command} --seconds {seconds}` (also `--seed N`, `--targets {string.Join(",", FuzzTargets.Names)}`, `--no-write`).");
        if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection("## Fuzzing", body.ToString())}");
        return failures.Count == 0 ? 0 : 1;
    }
}
