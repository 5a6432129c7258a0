using CsvHelper;

namespace EdramFer.Cli.Scoring;

/// <summary>
/// Streams a CSV with a header row, one record at a time (constant memory). Image paths that are relative resolve
/// against the CSV's folder. The separator is the one the header uses (',' when the header has one column, so a
/// path holding ';' or '|' is never split); duplicate column names and malformed quoting are refused with the line
/// number; fields beyond the header are reported once through <c>warn</c>.
/// </summary>
public sealed class CsvInput : IDisposable
{
    private static readonly char[] Separators = [',', ';', '\t', '|'];
    private readonly CsvReader _csv;
    private readonly string _path;
    private readonly string _folder;
    private readonly string _imageColumn;
    private readonly int _imageIndex;
    private readonly Action<string>? _warn;
    private bool _warnedRagged;

    /// <summary>Opens <paramref name="path"/>; throws naming the columns when <paramref name="imageColumn"/> is not one of them.
    /// Relative image paths resolve against <paramref name="pathBase"/>, by default the CSV's folder.</summary>
    public CsvInput(string path, string imageColumn, Action<string>? warn = null, string? pathBase = null)
    {
        _path = Path.GetFullPath(path);
        if (!File.Exists(_path)) throw new FileNotFoundException($"input CSV not found: '{path}'", path);
        _folder = pathBase is null ? Path.GetDirectoryName(_path)! : Path.GetFullPath(pathBase);
        _imageColumn = imageColumn;
        _warn = warn;
        _csv = CsvReader.Create(File.OpenRead(_path), Options(HeaderSeparator(_path)), leaveOpen: false);
        Guard(() => _csv.ReadHeader());
        Header = _csv.Headers.ToArray();
        if (Header.Count == 0) throw new InvalidDataException($"'{path}' is empty: expected a header row");
        var duplicates = Header.Select((h, i) => (h, i)).GroupBy(p => p.h, StringComparer.Ordinal).Where(g => g.Count() > 1).ToList();
        if (duplicates.Count > 0)
            throw new InvalidDataException($"'{path}' has duplicate column names: " +
                string.Join(", ", duplicates.Select(g => $"'{g.Key}' (columns {string.Join(" and ", g.Select(p => p.i + 1))})")) +
                "; rename them so every value keeps its own column");
        _imageIndex = Header.ToList().IndexOf(imageColumn);
        if (_imageIndex < 0)
            throw new InvalidDataException($"'{path}' has no column '{imageColumn}' (columns: {string.Join(", ", Header)}); use --image-column");
    }

    /// <summary>Column names of the header row.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Byte offset just past the last record returned (its line break excluded); where a resumed run continues.</summary>
    public long ConsumedBytes { get; private set; }

    /// <summary>The next record, or null at the end.</summary>
    public Row? Next()
    {
        if (!Guard(_csv.Read)) return null;
        ConsumedBytes = _csv.ByteOffset + _csv.RawRecord.Length;
        var line = _csv.LineNumber;
        if (_csv.FieldCount > Header.Count && !_warnedRagged)
        {
            _warnedRagged = true;
            _warn?.Invoke($"'{Path.GetFileName(_path)}' line {line}: {_csv.FieldCount} fields but {Header.Count} columns in the header; " +
                          "fields beyond the header are dropped (this and any later such rows)");
        }
        var fields = new Dictionary<string, string>(Header.Count, StringComparer.Ordinal);
        for (var i = 0; i < Header.Count; i++) fields[Header[i]] = i < _csv.FieldCount ? _csv.GetString(i) : "";
        var raw = fields[_imageColumn];
        if (string.IsNullOrWhiteSpace(raw))
            return new Row(raw, "", $"line {line}: empty '{_imageColumn}'", fields, line);
        // No file name holds NUL, and Path.GetFullPath throws on one: a row error, not the end of the run (found by fuzzing).
        if (raw.Contains('\0'))
            return new Row(raw, "", $"line {line}: '{_imageColumn}' contains a NUL character, which no file name can hold", fields, line);
        return new Row(raw, Path.IsPathRooted(raw) ? raw : Path.GetFullPath(Path.Combine(_folder, raw)), null, fields, line);
    }

    /// <summary>Number of records after the header (one streaming pass, with the same checks as reading).</summary>
    public static long CountRows(string path, string imageColumn)
    {
        using var input = new CsvInput(path, imageColumn);
        long n = 0;
        while (input.Next() is not null) n++;
        return n;
    }

    /// <summary>One CSV record.</summary>
    /// <param name="Path">the image column as written</param>
    /// <param name="ResolvedPath">absolute path (relative ones against the CSV folder); empty when the field is empty</param>
    /// <param name="PathError">set when the field itself is unusable</param>
    /// <param name="Fields">every column of the record</param>
    /// <param name="Line">1-based line of the file where the record starts</param>
    public sealed record Row(string Path, string ResolvedPath, string? PathError, IReadOnlyDictionary<string, string> Fields, long Line);

    /// <summary>Closes the file.</summary>
    public void Dispose() => _csv.Dispose();

    private static CsvReaderOptions Options(char separator) => new()
    {
        Separator = separator,
        TrackLineNumbers = true,
        MalformedData = CsvMalformedDataHandling.Throw,
        DetectSeparatorHint = false,
    };

    /// <summary>Runs a read, turning CsvHelper's malformed-input error into one that names the file and line.</summary>
    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (CsvFormatException e)
        {
            throw new InvalidDataException($"'{_path}' is not a well-formed CSV: {e.Message} " +
                                           "Quote fields that hold the separator, quotes or line breaks, and close every quote.", e);
        }
    }

    private void Guard(Action read) => Guard(() => { read(); return true; });

    /// <summary>
    /// The separator of the header line: the most frequent of , ; tab | outside quotes, ',' when there is none.
    /// Only the header decides, so a one-column file is never split on a character inside a path.
    /// </summary>
    internal static char HeaderSeparator(string path)
    {
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var counts = new int[Separators.Length];
        var quoted = false;
        for (var c = reader.Read(); c >= 0; c = reader.Read())
        {
            if (c == '"') quoted = !quoted;
            else if (!quoted && c is '\n' or '\r') break;
            else if (!quoted && Array.IndexOf(Separators, (char)c) is var k and >= 0) counts[k]++;
        }
        var best = 0;
        for (var k = 1; k < counts.Length; k++) if (counts[k] > counts[best]) best = k;
        return counts[best] > 0 ? Separators[best] : ',';
    }
}
