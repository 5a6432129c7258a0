using CsvHelper;

namespace EdramFer.Cli.Scoring;

/// <summary>
/// Streams a CSV with a header row, one record at a time (constant memory). Image paths that are relative resolve
/// against the CSV's folder.
/// </summary>
public sealed class CsvInput : IDisposable
{
    private readonly StreamReader _text;
    private readonly CsvReader _csv;
    private readonly string _folder;
    private readonly string _imageColumn;

    /// <summary>Opens <paramref name="path"/>; throws naming the columns when <paramref name="imageColumn"/> is not one of them.</summary>
    public CsvInput(string path, string imageColumn)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"input CSV not found: '{path}'", path);
        _folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        _imageColumn = imageColumn;
        _text = new StreamReader(path);
        _csv = CsvReader.Create(_text, null, leaveOpen: true);
        _csv.ReadHeader();
        Header = _csv.Headers.ToArray();
        if (Header.Count == 0) throw new InvalidDataException($"'{path}' is empty: expected a header row");
        if (!Header.Contains(imageColumn))
            throw new InvalidDataException($"'{path}' has no column '{imageColumn}' (columns: {string.Join(", ", Header)}); use --image-column");
    }

    /// <summary>Column names of the header row.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>The next record, or null at the end.</summary>
    public Row? Next()
    {
        if (!_csv.Read()) return null;
        var fields = new Dictionary<string, string>(Header.Count, StringComparer.Ordinal);
        for (var i = 0; i < Header.Count; i++) fields[Header[i]] = i < _csv.FieldCount ? _csv.GetString(i) ?? "" : "";
        var raw = fields[_imageColumn];
        if (string.IsNullOrWhiteSpace(raw))
            return new Row(raw, "", $"row {_csv.RowNumber}: empty '{_imageColumn}'", fields);
        return new Row(raw, Path.IsPathRooted(raw) ? raw : Path.GetFullPath(Path.Combine(_folder, raw)), null, fields);
    }

    /// <summary>Number of records after the header (one streaming pass).</summary>
    public static long CountRows(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"input CSV not found: '{path}'", path);
        using var text = new StreamReader(path);
        using var csv = CsvReader.Create(text, null, leaveOpen: true);
        long n = 0;
        while (csv.Read()) n++;
        return n;
    }

    /// <summary>One CSV record.</summary>
    /// <param name="Path">the image column as written</param>
    /// <param name="ResolvedPath">absolute path (relative ones against the CSV folder); empty when the field is empty</param>
    /// <param name="PathError">set when the field itself is unusable</param>
    /// <param name="Fields">every column of the record</param>
    public sealed record Row(string Path, string ResolvedPath, string? PathError, IReadOnlyDictionary<string, string> Fields);

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        _csv.Dispose();
        _text.Dispose();
    }
}
