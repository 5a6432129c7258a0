using System.Globalization;
using EdramFer.Fuzz.Seeds;

namespace EdramFer.Fuzz;

/// <summary>The command-line side of the harness: option parsing, reports, the corpus and findings folders.</summary>
public static class FuzzCommands
{
    /// <summary>The folder of a target's committed corpus: <c>&lt;repo&gt;/fuzz/corpus/&lt;target&gt;</c>.</summary>
    public static string CorpusFolder(string target) => Path.Combine(RepoRoot(), "fuzz", "corpus", target);

    /// <summary>The repository root: the first folder above the binaries (or the working directory) holding EdramFer.sln.</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "EdramFer.sln"))) return dir.FullName;
        throw new UsageError($"EdramFer.sln not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}: pass --corpus DIR");
    }

    /// <summary>The checked target name, or a usage error naming the known ones.</summary>
    public static string TargetName(string name) =>
        FuzzTargets.Names.Contains(name) ? name : throw new UsageError($"Unknown fuzz target '{name}': expected one of {string.Join(", ", FuzzTargets.Names)} (or all)");

    public static int Usage()
    {
        Console.Error.WriteLine($"usage: EdramFer.Fuzz list | run <{string.Join("|", FuzzTargets.Names)}|all> [--corpus DIR] [--seconds N] " +
                                "[--executions N] [--seed N] [--timeout-seconds N] [--memory-mb N] [--findings DIR] [--outcomes] | afl <target> | libfuzzer <target> | seed [--corpus DIR]");
        return 2;
    }

    public static int List()
    {
        foreach (var name in FuzzTargets.Names)
        {
            using var target = FuzzTargets.Create(name);
            Console.WriteLine($"{name}: {target.Contract}");
        }
        return 0;
    }

    /// <summary><c>run</c>: every named target in turn; exit 1 when any failed. Failing inputs go to the findings folder.</summary>
    public static int Run(string which, string[] args)
    {
        var names = which == "all" ? FuzzTargets.Names : [TargetName(which)];
        var options = new FuzzOptions();
        string? corpus = null, findings = null;
        var verbose = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageError($"{args[i]} needs a value");
            int Number() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n
                : throw new UsageError($"{args[i - 1]} expects a whole number >= 0, got '{args[i]}'");
            switch (args[i])
            {
                case "--corpus": corpus = Value(); break;
                case "--findings": findings = Value(); break;
                case "--outcomes": verbose = true; break;
                case "--seconds": options = options with { Duration = TimeSpan.FromSeconds(Number()) }; break;
                case "--executions": options = options with { MaxExecutions = Number() }; break;
                case "--seed": options = options with { Seed = Number() }; break;
                case "--timeout-seconds": options = options with { InputTimeout = TimeSpan.FromSeconds(Math.Max(1, Number())) }; break;
                case "--memory-mb": options = options with { MemoryBudgetBytes = (long)Number() << 20 }; break;
                default: throw new UsageError($"run: unknown option '{args[i]}'");
            }
        }
        var failed = 0;
        foreach (var name in names)
        {
            var folder = corpus is null ? CorpusFolder(name) : which == "all" ? Path.Combine(corpus, name) : corpus;
            using var target = FuzzTargets.Create(name);
            var report = FuzzRunner.Run(target, FuzzRunner.LoadCorpus(folder), options, Console.Error.WriteLine);
            Console.WriteLine(Summary(report));
            foreach (var (outcome, count) in report.Outcomes.OrderByDescending(p => p.Value).Take(verbose ? int.MaxValue : 0))
                Console.WriteLine($"  {count,9:N0}  {outcome}");
            foreach (var failure in report.Failures) Console.WriteLine(failure);
            if (report.Failures.Count == 0) continue;
            failed++;
            var saved = SaveFindings(report, findings is null ? Path.Combine(RepoRoot(), "fuzz", "findings", name) : Path.Combine(findings, name));
            Console.WriteLine($"{report.Failures.Count} failing input(s) saved to {saved}");
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>One line: executions, rate, outcomes, failures, peak memory.</summary>
    public static string Summary(FuzzReport r) =>
        $"{r.Target}: {r.Executions:N0} inputs ({r.CorpusInputs} from the corpus) in {r.Elapsed.TotalSeconds:N1} s = {r.ExecutionsPerSecond:N0}/s, " +
        $"{r.Outcomes.Count} distinct outcomes, {r.Failures.Count} failures, peak memory {r.PeakMemoryBytes >> 20:N0} MB";

    /// <summary>Writes each failing input as <c>&lt;kind&gt;-&lt;sha256 prefix&gt;</c>; returns the folder.</summary>
    public static string SaveFindings(FuzzReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var f in report.Failures)
        {
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f.Input))[..12];
            File.WriteAllBytes(Path.Combine(folder, $"{f.Kind}-{hash}"), f.Input);
        }
        return folder;
    }

    /// <summary><c>seed</c>: regenerates the seed files (other corpus files, such as regressions, are kept).</summary>
    public static int Seed(string[] args)
    {
        var root = args switch
        {
            [] => Path.Combine(RepoRoot(), "fuzz", "corpus"),
            ["--corpus", var dir] => dir,
            _ => throw new UsageError("seed: expected no option or --corpus DIR"),
        };
        var written = SeedCorpus.Write(root, Console.WriteLine);
        Console.WriteLine($"wrote {written} seed files under {root}");
        return 0;
    }

    /// <summary>All of a stream (AFL++ hands the input on stdin).</summary>
    public static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}

/// <summary>A command-line mistake: printed, exit 2.</summary>
public sealed class UsageError(string message) : Exception(message);
