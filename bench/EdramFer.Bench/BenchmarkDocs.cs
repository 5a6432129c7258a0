namespace EdramFer.Bench;

/// <summary>Locates the repository and rewrites one <c>## Section</c> of docs/benchmarks.md, leaving the others alone.</summary>
internal static class BenchmarkDocs
{
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EdramFer.sln"))) return dir.FullName;
        throw new InvalidOperationException($"EdramFer.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Replaces the section starting at <paramref name="heading"/> (up to the next "## " line) or appends it.</summary>
    public static string ReplaceSection(string heading, string body)
    {
        var path = Path.Combine(RepoRoot(), "docs", "benchmarks.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : ["# Benchmarks", ""];
        var section = new List<string> { heading, "" };
        section.AddRange(body.TrimEnd().Split('\n'));
        section.Add("");
        var start = lines.FindIndex(l => l.TrimEnd() == heading);
        if (start < 0)
        {
            if (lines.Count > 0 && lines[^1].Length > 0) lines.Add("");
            lines.AddRange(section);
        }
        else
        {
            var end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
            if (end < 0) end = lines.Count;
            lines.RemoveRange(start, end - start);
            lines.InsertRange(start, section);
        }
        File.WriteAllText(path, string.Join("\n", lines).TrimEnd() + "\n");
        return path;
    }

    /// <summary>The 1-minute load average (Linux), so a report says whether other work shared the machine.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
