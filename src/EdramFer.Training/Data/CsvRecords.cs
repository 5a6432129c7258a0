using CsvHelper;

namespace EdramFer.Training.Data;

/// <summary>
/// A dataset CSV read with CsvHelper (RFC 4180: quoted fields, doubled quotes, newlines inside quotes; empty lines
/// skipped): its header, then its records, each with the line it starts on for bad-row messages. A record with broken
/// quoting is skipped and listed in <see cref="Malformed"/> (the rest of the file still reads).
/// </summary>
internal sealed class CsvRecords : IDisposable
{
    private readonly CsvReader _csv;
    private readonly List<BadRow> _malformed = [];

    public CsvRecords(string file)
    {
        File = file;
        var options = new CsvReaderOptions
        {
            Separator = ',', TrackLineNumbers = true, DetectSeparatorHint = false, MalformedData = CsvMalformedDataHandling.Skip,
            OnMalformedRecord = r => _malformed.Add(new BadRow($"{Path.GetFileName(file)}:{r.LineNumber}", $"malformed CSV record ({r.Reason})")),
        };
        _csv = CsvReader.Create(System.IO.File.OpenRead(file), options, leaveOpen: false);
        _csv.ReadHeader();
        Header = _csv.Headers.Select(h => h.Trim()).ToArray();
    }

    /// <summary>The CSV's path, for messages.</summary>
    public string File { get; }

    /// <summary>The header's column names, trimmed.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Records skipped for broken quoting, found so far.</summary>
    public IReadOnlyList<BadRow> Malformed => _malformed;

    /// <summary>The records after the header, in order, with the line each starts on (the header is line 1).</summary>
    public IEnumerable<(long Line, string[] Fields)> Rows()
    {
        while (_csv.Read())
        {
            var fields = new string[_csv.FieldCount];
            for (var i = 0; i < fields.Length; i++) fields[i] = _csv.GetString(i);
            yield return (_csv.LineNumber, fields);
        }
    }

    /// <summary>The index of <paramref name="column"/> (case-insensitive), or -1.</summary>
    public int Find(string column)
    {
        for (var i = 0; i < Header.Count; i++) if (Header[i].Equals(column, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>The index of <paramref name="column"/>; an error naming the file and its header when absent.</summary>
    public int Require(string column) => Find(column) is >= 0 and var i ? i
        : throw new InvalidDataException($"Could not find column '{column}' in '{File}'; header: {string.Join(",", Header)}");

    public void Dispose() => _csv.Dispose();
}
