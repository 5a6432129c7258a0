using System.Globalization;

namespace EdramFer.Training.Data;

/// <summary>
/// Reads the dataset layouts the trainer accepts, from a spec "kind:path":
/// <c>fer2013:&lt;dir&gt;</c> (train/ and test/ class folders, or fer2013.csv), <c>affectnet:&lt;dir&gt;</c>
/// (training.csv / validation.csv), <c>csv:&lt;file&gt;</c> (path,label[,valence,arousal]) and
/// <c>folder:&lt;dir&gt;</c> (one folder per class). Bad rows are returned, never thrown.
/// </summary>
public static class DatasetReader
{
    /// <summary>FER2013 class names in the order of the dataset's folders (alphabetical).</summary>
    public static readonly string[] Fer2013Labels = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"];
    // fer2013.csv emotion codes: 0 Angry 1 Disgust 2 Fear 3 Happy 4 Sad 5 Surprise 6 Neutral.
    private static readonly int[] Fer2013CsvToLabel = [0, 1, 2, 3, 5, 6, 4];
    /// <summary>AffectNet expression codes 0..7 → names (8 None, 9 Uncertain, 10 No-Face are excluded).</summary>
    public static readonly string[] AffectNetNames = ["neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt"];

    static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"];

    /// <summary>Reads a dataset. <paramref name="validationSpec"/> overrides the adapter's own validation split;
    /// where a layout has none, <paramref name="holdout"/> of the training rows is held out (stratified, see
    /// <see cref="HoldOut"/>). FER2013's PublicTest is the test split, never the validation split: epochs and recipes
    /// are chosen on a hold-out of Training.</summary>
    /// <param name="classes">The class list of a <c>csv:</c> dataset, in output order. Required there: a label outside the
    /// list (a typo) is an error naming it, never a new class. Null with <paramref name="inferClasses"/> takes the CSV's
    /// labels as they are (sorted).</param>
    /// <param name="spec">the dataset, kind:path</param>
    /// <param name="validationSpec">a validation set (csv: or folder:) replacing the layout's own or the hold-out</param>
    /// <param name="holdout">share of every class held out of training for validation where the layout has no split</param>
    /// <param name="seed">the hold-out's split seed (<see cref="HoldOut"/>)</param>
    /// <param name="affectNetClasses">7 or 8 (with contempt) for <c>affectnet:</c></param>
    /// <param name="inferClasses">take a <c>csv:</c> dataset's labels as they are</param>
    public static DatasetDescription Read(string spec, string? validationSpec = null, double holdout = 0.1, int seed = 1,
        int affectNetClasses = 7, IReadOnlyList<string>? classes = null, bool inferClasses = false)
    {
        var (kind, path) = Split(spec);
        DatasetDescription d = kind switch
        {
            "fer2013" => AsTestSplit(ReadFer2013(spec, path)),
            "affectnet" => ReadAffectNet(spec, path, affectNetClasses),
            "csv" => ReadCsvDataset(spec, path, classes, inferClasses),
            "folder" => ReadFolderDataset(spec, path, null),
            _ => throw new ArgumentException($"Unknown dataset kind '{kind}' in '{spec}': expected fer2013:, affectnet:, csv: or folder:."),
        };
        if (validationSpec != null)
        {
            var (vkind, vpath) = Split(validationSpec);
            var val = vkind switch
            {
                "csv" => ReadCsv(vpath, d.Labels),
                "folder" => ReadFolder(vpath, d.Labels),
                _ => throw new ArgumentException($"Validation spec '{validationSpec}' must be csv: or folder:."),
            };
            return d with { Validation = val };
        }
        if (d.Validation.Samples.Count == 0 && d.Train.Samples.Count > 0) return HoldOut(d, holdout, seed);
        return d;
    }

    static DatasetDescription AsTestSplit(DatasetDescription d) => d with { Test = d.Validation, Validation = new DatasetSplit([], []) };

    static (string Kind, string Path) Split(string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon <= 0 || colon == spec.Length - 1)
            throw new ArgumentException($"Dataset spec '{spec}' must look like kind:path (fer2013:, affectnet:, csv:, folder:).");
        var path = spec[(colon + 1)..];
        return (spec[..colon].ToLowerInvariant(), Path.GetFullPath(path));
    }

    static DatasetDescription ReadFer2013(string spec, string path)
    {
        if (File.Exists(path) || File.Exists(Path.Combine(path, "fer2013.csv")))
            return ReadFer2013Csv(spec, File.Exists(path) ? path : Path.Combine(path, "fer2013.csv"));
        string train = Path.Combine(path, "train"), test = Path.Combine(path, "test");
        if (!Directory.Exists(train))
            throw new DirectoryNotFoundException($"FER2013 folder '{path}' has neither train/ nor fer2013.csv.");
        var labels = Fer2013Labels;
        var trainSplit = ReadFolder(train, labels);
        // The Kaggle folder layout's test/ holds PublicTest (and PrivateTest where present): validate on PublicTest.
        var testSplit = Directory.Exists(test) ? ReadFolder(test, labels, name => !name.StartsWith("PrivateTest", StringComparison.Ordinal)) : new DatasetSplit([], []);
        return new DatasetDescription(spec, labels, trainSplit, testSplit);
    }

    static DatasetDescription ReadFer2013Csv(string spec, string file)
    {
        var train = new List<LabeledSample>(); var val = new List<LabeledSample>();
        var badTrain = new List<BadRow>(); var badVal = new List<BadRow>();
        using var csv = new CsvRecords(file);
        int ie = csv.Require("emotion"), ip = csv.Require("pixels"), iu = csv.Require("Usage");
        foreach (var (row, f) in csv.Rows())
        {
            string source = $"{Path.GetFileName(file)}:{row}";
            var usage = f.Length > iu ? f[iu] : "";
            var (list, bad) = usage == "Training" ? (train, badTrain) : usage == "PublicTest" ? (val, badVal) : (null, null);
            if (list == null) continue; // PrivateTest is kept out of training and validation
            if (f.Length <= Math.Max(ie, ip) || !int.TryParse(f[ie], out int code) || code < 0 || code > 6)
            { bad!.Add(new BadRow(source, $"emotion '{(f.Length > ie ? f[ie] : "")}' is not a code 0-6")); continue; }
            var pixels = f[ip].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (pixels.Length != 48 * 48) { bad!.Add(new BadRow(source, $"expected 2304 pixels, got {pixels.Length}")); continue; }
            var bytes = new byte[pixels.Length];
            bool ok = true;
            for (int i = 0; i < pixels.Length && ok; i++) ok = byte.TryParse(pixels[i], out bytes[i]);
            if (!ok) { bad!.Add(new BadRow(source, "pixel values must be integers 0-255")); continue; }
            list.Add(new LabeledSample(source, Fer2013CsvToLabel[code]) { Pixels = bytes, PixelWidth = 48, PixelHeight = 48 });
        }
        badTrain.AddRange(csv.Malformed); // its Usage column unread: listed with the training rows
        return new DatasetDescription(spec, Fer2013Labels, new DatasetSplit(train, badTrain), new DatasetSplit(val, badVal));
    }

    static DatasetDescription ReadAffectNet(string spec, string dir, int classes)
    {
        if (classes is not (7 or 8)) throw new ArgumentException($"AffectNet class mode must be 7 or 8, got {classes}.");
        var labels = AffectNetNames.Take(classes).ToArray();
        string train = Path.Combine(dir, "training.csv"), val = Path.Combine(dir, "validation.csv");
        if (!File.Exists(train)) throw new FileNotFoundException($"AffectNet folder '{dir}' has no training.csv.", train);
        return new DatasetDescription(spec, labels, ReadAffectNetCsv(train, dir, classes),
            File.Exists(val) ? ReadAffectNetCsv(val, dir, classes) : new DatasetSplit([], []));
    }

    static DatasetSplit ReadAffectNetCsv(string file, string dir, int classes)
    {
        var samples = new List<LabeledSample>(); var bad = new List<BadRow>();
        using var csv = new CsvRecords(file);
        int ip = csv.Require("subDirectory_filePath"), ie = csv.Require("expression");
        int iv = csv.Require("valence"), ia = csv.Require("arousal");
        // Images live under Manually_Annotated_Images/ in the official release; accept either layout.
        string imageRoot = Directory.Exists(Path.Combine(dir, "Manually_Annotated_Images")) ? Path.Combine(dir, "Manually_Annotated_Images") : dir;
        foreach (var (row, f) in csv.Rows())
        {
            string source = $"{Path.GetFileName(file)}:{row}";
            if (f.Length <= Math.Max(Math.Max(ip, ie), Math.Max(iv, ia))) { bad.Add(new BadRow(source, $"expected {csv.Header.Count} columns, got {f.Length}")); continue; }
            if (!int.TryParse(f[ie], out int code)) { bad.Add(new BadRow(source, $"expression '{f[ie]}' is not an integer")); continue; }
            if (code >= classes) continue; // 8 None, 9 Uncertain, 10 No-Face (and 7 Contempt in 7-class mode) are excluded by design
            if (code < 0) { bad.Add(new BadRow(source, $"expression {code} is negative")); continue; }
            var path = Path.Combine(imageRoot, f[ip]);
            if (!File.Exists(path)) { bad.Add(new BadRow(path, "file not found")); continue; }
            float? v = ParseFloat(f[iv]), a = ParseFloat(f[ia]);
            // AffectNet marks missing valence/arousal with -2.
            if (v is < -1 or > 1) v = null;
            if (a is < -1 or > 1) a = null;
            samples.Add(new LabeledSample(path, code, v, a));
        }
        bad.AddRange(csv.Malformed);
        return new DatasetSplit(samples, bad);
    }

    static DatasetDescription ReadCsvDataset(string spec, string file, IReadOnlyList<string>? classes, bool infer)
    {
        var found = CountCsvLabels(file);
        string Listing(IEnumerable<KeyValuePair<string, (int Rows, int FirstLine)>> labels) =>
            string.Join(", ", labels.Select(kv => $"'{kv.Key}' ({kv.Value.Rows} rows, first at line {kv.Value.FirstLine})"));
        if (classes is null)
        {
            if (!infer)
                throw new InvalidDataException($"'{file}' holds the labels {Listing(found)}. Name the classes (--classes a,b,c: a label " +
                                               "outside the list is then an error, not a new class) or take these as they are (--classes infer).");
            classes = found.Keys.ToArray();
        }
        var unknown = found.Where(kv => IndexOfLabel(classes, kv.Key) < 0).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"'{file}' has labels outside the classes ({string.Join(", ", classes)}): {Listing(unknown)}.");
        return new DatasetDescription(spec, classes, ReadCsv(file, classes), new DatasetSplit([], []));
    }

    static DatasetDescription ReadFolderDataset(string spec, string dir, IReadOnlyList<string>? labels)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Dataset folder '{dir}' does not exist.");
        // A folder holding train/ (and test/ or val/) is read as its splits; otherwise its subfolders are the classes.
        string train = Path.Combine(dir, "train");
        string? val = new[] { "val", "validation", "test" }.Select(n => Path.Combine(dir, n)).FirstOrDefault(Directory.Exists);
        if (Directory.Exists(train))
        {
            var names = labels ?? ClassFolders(train);
            return new DatasetDescription(spec, names, ReadFolder(train, names), val != null ? ReadFolder(val, names) : new DatasetSplit([], []));
        }
        var classes = labels ?? ClassFolders(dir);
        return new DatasetDescription(spec, classes, ReadFolder(dir, classes), new DatasetSplit([], []));
    }

    static string[] ClassFolders(string dir) =>
        Directory.GetDirectories(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    /// <summary>Reads one folder-per-class split; files in folders that are not a known class are bad rows.</summary>
    public static DatasetSplit ReadFolder(string dir, IReadOnlyList<string> labels, Func<string, bool>? include = null)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Dataset folder '{dir}' does not exist.");
        var samples = new List<LabeledSample>(); var bad = new List<BadRow>();
        foreach (var classDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(classDir);
            int label = IndexOfLabel(labels, name);
            foreach (var file in Directory.GetFiles(classDir).Order(StringComparer.Ordinal))
            {
                if (include != null && !include(Path.GetFileName(file))) continue;
                if (!ImageExtensions.Contains(Path.GetExtension(file).ToLowerInvariant())) { bad.Add(new BadRow(file, "not an image file extension")); continue; }
                if (label < 0) { bad.Add(new BadRow(file, $"unknown label '{name}'; known: {string.Join(", ", labels)}")); continue; }
                samples.Add(new LabeledSample(file, label));
            }
        }
        return new DatasetSplit(samples, bad);
    }

    /// <summary>Every label of a CSV (lower case, sorted) with its row count and first line.</summary>
    static SortedDictionary<string, (int Rows, int FirstLine)> CountCsvLabels(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"Dataset CSV '{file}' does not exist.", file);
        using var csv = new CsvRecords(file);
        int il = csv.Require("label");
        var found = new SortedDictionary<string, (int Rows, int FirstLine)>(StringComparer.Ordinal);
        foreach (var (row, f) in csv.Rows())
        {
            if (f.Length <= il || f[il].Trim().Length == 0) continue;
            var label = f[il].Trim().ToLowerInvariant();
            found[label] = found.TryGetValue(label, out var c) ? (c.Rows + 1, c.FirstLine) : (1, (int)row);
        }
        return found;
    }

    /// <summary>Reads a generic CSV with a header (path, label[, valence, arousal]); paths relative to the CSV's folder.</summary>
    public static DatasetSplit ReadCsv(string file, IReadOnlyList<string> labels)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"Dataset CSV '{file}' does not exist.", file);
        var samples = new List<LabeledSample>(); var bad = new List<BadRow>();
        string root = Path.GetDirectoryName(Path.GetFullPath(file))!;
        using var csv = new CsvRecords(file);
        int ip = csv.Require("path"), il = csv.Require("label"), iv = csv.Find("valence"), ia = csv.Find("arousal");
        foreach (var (row, f) in csv.Rows())
        {
            string source = $"{Path.GetFileName(file)}:{row}";
            if (f.Length <= Math.Max(ip, il)) { bad.Add(new BadRow(source, $"expected {csv.Header.Count} columns, got {f.Length}")); continue; }
            int label = IndexOfLabel(labels, f[il].Trim());
            if (label < 0) { bad.Add(new BadRow(source, $"unknown label '{f[il]}'; known: {string.Join(", ", labels)}")); continue; }
            if (f[ip].Trim().Length == 0) { bad.Add(new BadRow(source, "empty path")); continue; }
            var path = Path.IsPathRooted(f[ip]) ? f[ip] : Path.GetFullPath(Path.Combine(root, f[ip]));
            if (Directory.Exists(path)) { bad.Add(new BadRow(path, "a directory, not an image file")); continue; }
            if (!File.Exists(path)) { bad.Add(new BadRow(path, "file not found")); continue; }
            float? v = iv >= 0 && f.Length > iv ? ParseFloat(f[iv]) : null, a = ia >= 0 && f.Length > ia ? ParseFloat(f[ia]) : null;
            samples.Add(new LabeledSample(path, label, v, a));
        }
        bad.AddRange(csv.Malformed);
        return new DatasetSplit(samples, bad);
    }

    /// <summary>
    /// Holds out round(<paramref name="fraction"/> · n) rows of every class: those whose file name (not the folder the
    /// dataset lives in) hashes lowest under <paramref name="seed"/>. Stratified, and the same split on every machine,
    /// in every process and whatever the order the files were listed in.
    /// </summary>
    internal static DatasetDescription HoldOut(DatasetDescription d, double fraction, int seed)
    {
        var held = d.Train.Samples.GroupBy(s => s.Label)
            .SelectMany(c => c.OrderBy(s => StableKey(seed, s.Source)).ThenBy(s => s.Source, StringComparer.Ordinal)
                .Take((int)Math.Round(c.Count() * fraction)))
            .ToHashSet();
        if (held.Count == 0) return d;
        return d with
        {
            Train = new DatasetSplit(d.Train.Samples.Where(s => !held.Contains(s)).ToList(), d.Train.BadRows),
            Validation = new DatasetSplit(d.Train.Samples.Where(held.Contains).ToList(), []),
        };
    }

    /// <summary>FNV-1a (64-bit) of the seed and the source's file name.</summary>
    static ulong StableKey(int seed, string source)
    {
        ulong h = 14695981039346656037UL ^ (uint)seed;
        foreach (char ch in Path.GetFileName(source)) { h ^= ch; h *= 1099511628211UL; }
        return h;
    }

    static int IndexOfLabel(IReadOnlyList<string> labels, string name)
    {
        for (int i = 0; i < labels.Count; i++) if (labels[i].Equals(name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    static float? ParseFloat(string s) => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
}
