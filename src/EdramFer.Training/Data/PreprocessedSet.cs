using System.Security.Cryptography;
using System.Text;
using EdramFer.Vision;

namespace EdramFer.Training.Data;

/// <summary>
/// A split after preprocessing: N images of Size² bytes in one array, labels and optional valence/arousal.
/// Built once through EdramFer.Vision and cached on disk (keyed by the file list and the preprocessing
/// options), so epochs never repeat face detection.
/// </summary>
public sealed class PreprocessedSet
{
    const string Magic = "EDRAMSET2";

    public int Size { get; }
    public byte[] Pixels { get; }
    public int[] Labels { get; }
    /// <summary>(valence, arousal) per image, NaN where unknown.</summary>
    public float[] ValenceArousal { get; }
    public string[] Sources { get; }
    /// <summary>Rows dropped during preprocessing (undecodable, no face under the Reject policy, ...).</summary>
    public IReadOnlyList<BadRow> BadRows { get; }
    public int Count => Labels.Length;
    public bool HasValenceArousal => ValenceArousal.Any(v => !float.IsNaN(v));

    PreprocessedSet(int size, byte[] pixels, int[] labels, float[] va, string[] sources, IReadOnlyList<BadRow> bad)
        => (Size, Pixels, Labels, ValenceArousal, Sources, BadRows) = (size, pixels, labels, va, sources, bad);

    /// <summary>Builds a set in memory from already-preprocessed pixels (tests, synthetic data).</summary>
    public static PreprocessedSet FromPixels(int size, byte[] pixels, int[] labels, float[]? va = null) =>
        new(size, pixels, labels, va ?? Enumerable.Repeat(float.NaN, labels.Length * 2).ToArray(),
            labels.Select((_, i) => $"#{i}").ToArray(), []);

    /// <summary>Returns the cached set for these samples and options, preprocessing and caching it on a miss.</summary>
    public static PreprocessedSet Load(IReadOnlyList<LabeledSample> samples, PreprocessOptions options, string cacheDir,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(cacheDir);
        var file = Path.Combine(cacheDir, $"{Key(samples, options)}.bin");
        if (File.Exists(file))
        {
            try { return Read(file); }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException) { File.Delete(file); } // stale or torn: rebuild
        }
        var set = Build(samples, options, progress, cancel);
        Write(set, file);
        return set;
    }

    /// <summary>Preprocesses every sample (in parallel, order kept). Failed rows go to <see cref="BadRows"/>.</summary>
    public static PreprocessedSet Build(IReadOnlyList<LabeledSample> samples, PreprocessOptions options,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        using var pre = new FacePreprocessor(options);
        var results = new PreprocessResult[samples.Count];
        int done = 0;
        Parallel.For(0, samples.Count, new ParallelOptions { CancellationToken = cancel }, i =>
        {
            var s = samples[i];
            results[i] = s.Pixels != null ? pre.ProcessPixels(s.Pixels, s.PixelWidth, s.PixelHeight, 1) : pre.ProcessFile(s.Source);
            int d = Interlocked.Increment(ref done);
            if (d % 256 == 0 || d == samples.Count) progress?.Report((d, samples.Count));
        });
        int size = options.OutputSize, n = results.Count(r => r.HasPixels);
        var pixels = new byte[(long)n * size * size];
        var labels = new int[n];
        var va = new float[n * 2];
        var sources = new string[n];
        var bad = new List<BadRow>();
        int k = 0;
        for (int i = 0; i < samples.Count; i++)
        {
            var r = results[i];
            if (!r.HasPixels) { bad.Add(new BadRow(samples[i].Source, $"{r.Status}: {r.Message}")); continue; }
            r.Pixels!.CopyTo(pixels, (long)k * size * size);
            labels[k] = samples[i].Label;
            va[2 * k] = samples[i].Valence ?? float.NaN;
            va[2 * k + 1] = samples[i].Arousal ?? float.NaN;
            sources[k] = samples[i].Source;
            k++;
        }
        return new PreprocessedSet(size, pixels, labels, va, sources, bad);
    }

    static string Key(IReadOnlyList<LabeledSample> samples, PreprocessOptions options)
    {
        using var sha = SHA256.Create();
        var sb = new StringBuilder(options.CacheKey).Append('\n');
        foreach (var s in samples)
        {
            sb.Append(s.Source).Append('|').Append(s.Label).Append('|').Append(s.Valence).Append('|').Append(s.Arousal);
            if (s.Pixels == null && File.Exists(s.Source)) sb.Append('|').Append(new FileInfo(s.Source).Length);
            sb.Append('\n');
        }
        return Convert.ToHexString(sha.ComputeHash(Encoding.UTF8.GetBytes(sb.ToString())))[..24].ToLowerInvariant();
    }

    static void Write(PreprocessedSet set, string file)
    {
        var tmp = file + ".tmp";
        using (var w = new BinaryWriter(File.Create(tmp)))
        {
            w.Write(Magic); w.Write(set.Size); w.Write(set.Count);
            w.Write(set.Pixels);
            foreach (var l in set.Labels) w.Write(l);
            foreach (var v in set.ValenceArousal) w.Write(v);
            foreach (var s in set.Sources) w.Write(s);
            w.Write(set.BadRows.Count);
            foreach (var b in set.BadRows) { w.Write(b.Source); w.Write(b.Reason); }
        }
        File.Move(tmp, file, overwrite: true);
    }

    static PreprocessedSet Read(string file)
    {
        using var r = new BinaryReader(File.OpenRead(file));
        if (r.ReadString() != Magic) throw new InvalidDataException($"{file} is not a preprocessed-set cache.");
        int size = r.ReadInt32(), n = r.ReadInt32();
        var pixels = r.ReadBytes(n * size * size);
        if (pixels.Length != n * size * size) throw new EndOfStreamException();
        var labels = new int[n]; for (int i = 0; i < n; i++) labels[i] = r.ReadInt32();
        var va = new float[2 * n]; for (int i = 0; i < 2 * n; i++) va[i] = r.ReadSingle();
        var sources = new string[n]; for (int i = 0; i < n; i++) sources[i] = r.ReadString();
        var bad = new List<BadRow>(); int nb = r.ReadInt32();
        for (int i = 0; i < nb; i++) bad.Add(new BadRow(r.ReadString(), r.ReadString()));
        return new PreprocessedSet(size, pixels, labels, va, sources, bad);
    }
}
