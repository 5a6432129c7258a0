namespace EdramFer.Bench;

/// <summary>
/// A labelled image set of the <c>peers</c> benchmark.
/// </summary>
/// <param name="Name">heading in the report</param>
/// <param name="Paths">absolute image paths, in measuring order</param>
/// <param name="Truth">true class of each image, an index into <see cref="PeerSets.Classes"/></param>
/// <param name="Detect">whether EdramFer runs its model's face detector chain (photos) or takes the image as the face (crops)</param>
/// <param name="Note">what the set is and what was left out</param>
internal sealed record PeerSet(string Name, IReadOnlyList<string> Paths, int[] Truth, bool Detect, string Note);

/// <summary>Reads the two sets from the shared data folder, with the label mapping of the peer reference measurements.</summary>
internal static class PeerSets
{
    /// <summary>The class order of every count: FER2013's names, alphabetical.</summary>
    public static readonly string[] Classes = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"];

    // muxspace's names that differ from FER2013's; "contempt" has no FER2013 class and is left out.
    private static readonly Dictionary<string, string> MuxspaceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["anger"] = "angry", ["happiness"] = "happy", ["sadness"] = "sad",
    };

    /// <summary>FER2013 PublicTest from <c>fer2013/labels.csv</c> (columns path, label, source_usage); <paramref name="limit"/> picks evenly spaced rows.</summary>
    public static PeerSet Fer2013PublicTest(string data, int? limit)
    {
        var csv = Path.Combine(data, "fer2013", "labels.csv");
        var (header, rows) = ReadCsv(csv);
        int path = Column(header, "path", csv), label = Column(header, "label", csv), usage = Column(header, "source_usage", csv);
        var test = rows.Where(r => r[usage] == "PublicTest").ToList();
        if (test.Count == 0) throw new InvalidDataException($"{csv}: no row with source_usage PublicTest");
        var picked = Spread(test.Count, limit).Select(i => test[i]).ToList();
        var note = (picked.Count < test.Count ? $"{picked.Count:N0} of the {test.Count:N0} PublicTest crops, evenly spaced in the CSV's order"
            : $"All {test.Count:N0} PublicTest crops") + " (48x48 grey JPEG)";
        return new PeerSet("FER2013 PublicTest", picked.Select(r => Path.Combine(data, "fer2013", r[path])).ToList(),
            picked.Select(r => ClassIndex(r[label], $"{csv}, {r[path]}")).ToArray(), Detect: false, note);
    }

    /// <summary>The muxspace half from <c>muxspace_facial_expressions/labels.csv</c> (columns image, emotion); contempt rows left out.</summary>
    public static PeerSet MuxspaceHalf(string data, int? limit)
    {
        var folder = Path.Combine(data, "muxspace_facial_expressions");
        var csv = Path.Combine(folder, "labels.csv");
        var (header, rows) = ReadCsv(csv);
        int image = Column(header, "image", csv), emotion = Column(header, "emotion", csv);
        var kept = rows.Where(r => !r[emotion].Equals("contempt", StringComparison.OrdinalIgnoreCase)).ToList();
        var picked = Spread(kept.Count, limit).Select(i => kept[i]).ToList();
        var note = $"{picked.Count:N0} of the {rows.Count:N0} photos (mostly 350x350 grey, whole faces with background); " +
                   $"{rows.Count - kept.Count} contempt rows left out (no FER2013 class)";
        return new PeerSet("muxspace half", picked.Select(r => Path.Combine(folder, r[image])).ToList(),
            picked.Select(r => ClassIndex(MuxspaceNames.GetValueOrDefault(r[emotion], r[emotion]), $"{csv}, {r[image]}")).ToArray(), Detect: true, note);
    }

    /// <summary>Index of <paramref name="label"/> in <see cref="Classes"/> (case-insensitive); throws naming <paramref name="where"/>.</summary>
    public static int ClassIndex(string label, string where)
    {
        var k = Array.FindIndex(Classes, c => c.Equals(label.Trim(), StringComparison.OrdinalIgnoreCase));
        return k >= 0 ? k : throw new InvalidDataException($"{where}: label '{label}' is not one of {string.Join(", ", Classes)}");
    }

    /// <summary><paramref name="limit"/> indices spread evenly over 0..n-1 (all of them without a limit): every class of a sorted CSV stays in.</summary>
    public static IEnumerable<int> Spread(int n, int? limit) =>
        limit is { } l && l < n ? Enumerable.Range(0, l).Select(i => (int)((long)i * n / l)) : Enumerable.Range(0, n);

    // Both CSVs are plain: no quoted fields.
    private static (string[] Header, List<string[]> Rows) ReadCsv(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found: pass --data DIR (the shared data folder)", path);
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        var rows = lines.Skip(1).Select(l => l.Split(',').Select(f => f.Trim()).ToArray()).ToList();
        if (rows.FirstOrDefault(r => r.Length != header.Length) is { } bad)
            throw new InvalidDataException($"{path}: row '{string.Join(",", bad)}' has {bad.Length} fields, the header {header.Length}");
        return (header, rows);
    }

    private static int Column(string[] header, string name, string path)
    {
        var i = Array.IndexOf(header, name);
        return i >= 0 ? i : throw new InvalidDataException($"Could not find column '{name}' in {path} (header: {string.Join(",", header)})");
    }
}
