using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdramFer.Cli.Scoring;

/// <summary>
/// Shard K of N: input rows [K·M/N, (K+1)·M/N) of M. Contiguous slices, so the shard outputs concatenated in index order
/// are the output of one run over all rows (<see cref="ShardMerge"/>); the same slice in every run of the same input.
/// </summary>
internal readonly record struct Shard(int Index, int Count)
{
    /// <summary>Parses "K/N" (0 ≤ K &lt; N, as a Slurm array index or a Kubernetes completion index).</summary>
    public static Shard Parse(string spec)
    {
        var parts = spec.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out var k) && int.TryParse(parts[1], out var n) && n >= 1 && k >= 0 && k < n)
            return new Shard(k, n);
        throw new ArgumentException($"--shard must be K/N with 0 ≤ K < N (e.g. 0/4 for the first of four), got '{spec}'");
    }

    /// <summary>The first row and the row after the last (0-based) of a <paramref name="total"/>-row input.</summary>
    public (long From, long To) Rows(long total) => (total * Index / Count, total * (Index + 1) / Count);

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>
/// <c>&lt;output&gt;.shard.json</c>, written when a shard finishes: which slice of which input it holds, under which model
/// and options, and the SHA-256 of the finished file, so a merge can refuse a missing, foreign, overlapping or
/// truncated shard.
/// </summary>
internal sealed record ShardRecord(
    [property: JsonPropertyName("shard")] int Index,
    [property: JsonPropertyName("shards")] int Count,
    [property: JsonPropertyName("first_row")] long FirstRow,
    [property: JsonPropertyName("end_row")] long EndRow,
    [property: JsonPropertyName("input_rows")] long InputRows,
    [property: JsonPropertyName("input_sha256")] string InputSha256,
    [property: JsonPropertyName("identity")] string Identity,
    [property: JsonPropertyName("header_bytes")] long HeaderBytes,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("sha256")] string Sha256)
{
    /// <summary>The record's path beside a shard output.</summary>
    public static string PathFor(string output) => output + ".shard.json";

    /// <summary>Writes the record for the finished <paramref name="output"/> (hashing it), atomically.</summary>
    public static void Write(string output, Shard shard, long inputRows, string inputSha256, string identity, long headerBytes)
    {
        var (from, to) = shard.Rows(inputRows);
        var record = new ShardRecord(shard.Index, shard.Count, from, to, inputRows, inputSha256, identity, headerBytes,
            new FileInfo(output).Length, Hash(output));
        var path = PathFor(output);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The record of <paramref name="output"/>; an error naming the shard when it has none.</summary>
    public static ShardRecord Read(string output)
    {
        var path = PathFor(output);
        if (!File.Exists(output)) throw new FileNotFoundException($"shard '{output}' not found", output);
        if (!File.Exists(path))
            throw new InvalidDataException($"'{output}' has no {Path.GetFileName(path)}: not a finished shard (still running, interrupted, or not written with --shard)");
        return JsonSerializer.Deserialize<ShardRecord>(File.ReadAllText(path))
               ?? throw new InvalidDataException($"'{path}' is empty");
    }

    /// <summary>SHA-256 (hex) of a whole file.</summary>
    public static string Hash(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
