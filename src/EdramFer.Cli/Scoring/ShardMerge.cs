namespace EdramFer.Cli.Scoring;

/// <summary>
/// Joins the outputs of <c>edram score --shard K/N</c> into the file one run over every row writes: the first shard
/// whole, then each next shard without its header. Refuses, naming the file, a shard that is unfinished, changed or
/// truncated since it finished, from another input, model or options, missing, or given twice.
/// </summary>
internal static class ShardMerge
{
    /// <summary>Checks the shards and writes <paramref name="output"/> atomically; returns the shards in order.</summary>
    public static IReadOnlyList<(string Path, ShardRecord Record)> Run(IReadOnlyList<string> shards, string output)
    {
        var ordered = Check(shards.Select(p => (Path: Path.GetFullPath(p), Record: ShardRecord.Read(p))).ToList());
        var temp = output + ".merging";
        using (var target = File.Create(temp))
        {
            for (var i = 0; i < ordered.Count; i++)
            {
                using var source = File.OpenRead(ordered[i].Path);
                if (i > 0) source.Seek(ordered[i].Record.HeaderBytes, SeekOrigin.Begin);
                source.CopyTo(target);
            }
        }
        File.Move(temp, output, overwrite: true);
        return ordered;
    }

    /// <summary>The shards in index order, once each; throws naming the first problem.</summary>
    private static List<(string Path, ShardRecord Record)> Check(List<(string Path, ShardRecord Record)> shards)
    {
        if (shards.Count == 0) throw new ArgumentException("give the shard outputs to merge");
        foreach (var (path, r) in shards)
            if (new FileInfo(path).Length != r.Bytes || ShardRecord.Hash(path) != r.Sha256)
                throw new InvalidDataException($"'{path}' is not the file shard {r.Index}/{r.Count} finished as ({r.Bytes:N0} bytes then, " +
                                               $"{new FileInfo(path).Length:N0} now): truncated or changed; score that shard again");
        var (first, one) = shards[0];
        foreach (var (path, r) in shards.Skip(1))
        {
            if (r.InputSha256 != one.InputSha256 || r.InputRows != one.InputRows)
                throw new InvalidDataException($"'{path}' was scored from another input than '{first}' (input SHA-256 or row count differ)");
            if (r.Identity != one.Identity)
                throw new InvalidDataException($"'{path}' was scored with another model or other options than '{first}'");
            if (r.Count != one.Count)
                throw new InvalidDataException($"'{path}' is shard {r.Index}/{r.Count} but '{first}' is of {one.Count} shards");
        }
        var byIndex = new SortedDictionary<int, (string Path, ShardRecord Record)>();
        foreach (var s in shards)
            if (!byIndex.TryAdd(s.Record.Index, s))
                throw new InvalidDataException($"'{byIndex[s.Record.Index].Path}' and '{s.Path}' are both shard {s.Record.Index}/{s.Record.Count}: overlapping rows");
        var missing = Enumerable.Range(0, one.Count).Where(k => !byIndex.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(k => $"{k}/{one.Count}"))} missing " +
                                           $"(given: {string.Join(", ", byIndex.Keys.Select(k => $"{k}/{one.Count}"))})");
        return byIndex.Values.ToList();
    }
}
