using System.Text.RegularExpressions;
using EdramFer.Cli.Scoring;

namespace EdramFer.Fuzz.Targets;

/// <summary>
/// CSV bytes through the scoring input reader (<see cref="CsvInput"/>: header, separator detection, every record,
/// then <see cref="CsvInput.CountRows"/>), image column <c>path</c>.
/// </summary>
public sealed partial class CsvTarget : FuzzTarget
{
    private const string ImageColumn = "path";

    /// <inheritdoc />
    public override string Name => "csv";

    /// <inheritdoc />
    public override string Contract =>
        "Only InvalidDataException (naming the file) escapes; every record has exactly the header's columns, a line after the " +
        "previous one, an offset within the file that never goes back, and an absolute path or a path error; CountRows agrees; " +
        "the ragged-row warning comes at most once.";

    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Tokens(
        "path", "path,", ",path", "path;label\n", "path\tlabel\n", "path|id\n", "\"", "\"\"", ",", ";", "\t", "|", "\n", "\r\n", "\r",
        "\"a,b\"", "\"line\nbreak\"", "\xEF\xBB\xBF", "/abs/x.jpg", "../x.jpg", "\0", " ", "id", "label");

    /// <inheritdoc />
    public override string Run(ReadOnlySpan<byte> data)
    {
        var file = Path.Combine(WorkFolder, "input.csv");
        File.WriteAllBytes(file, data.ToArray());
        try
        {
            var (rows, shape) = ReadAll(file, data.Length);
            var counted = CsvInput.CountRows(file, ImageColumn);
            if (counted != rows) throw new ContractViolation($"CountRows gave {counted}, reading gave {rows} records");
            return shape;
        }
        catch (InvalidDataException e)
        {
            if (!e.Message.Contains(file, StringComparison.Ordinal)) throw new ContractViolation($"the refusal does not name the file: {e.Message}");
            return "refused: " + Outcome.Template(ColumnList().Replace(e.Message, "(columns: …)"));
        }
    }

    /// <summary>Reads every record, checking each; returns the count and the file's shape (the outcome key).</summary>
    private static (long Rows, string Shape) ReadAll(string file, long length)
    {
        var warnings = 0;
        using var input = new CsvInput(file, ImageColumn, _ => warnings++);
        var header = input.Header;
        if (header.Count == 0 || header.Distinct(StringComparer.Ordinal).Count() != header.Count || !header.Contains(ImageColumn))
            throw new ContractViolation($"accepted header [{string.Join("|", header)}]: expected distinct names including '{ImageColumn}'");
        long rows = 0, line = 1, consumed = 0;
        bool multiline = false, pathErrors = false;
        while (input.Next() is { } row)
        {
            rows++;
            if (row.Line <= line) throw new ContractViolation($"record {rows} starts on line {row.Line}, not after line {line}");
            multiline |= row.Line > line + 1;
            line = row.Line;
            if (input.ConsumedBytes < consumed || input.ConsumedBytes > length)
                throw new ContractViolation($"record {rows}: consumed offset {input.ConsumedBytes} after {consumed}, file of {length} bytes");
            consumed = input.ConsumedBytes;
            if (row.Fields.Count != header.Count || header.Any(h => !row.Fields.ContainsKey(h)))
                throw new ContractViolation($"record {rows} has columns [{string.Join("|", row.Fields.Keys)}], header [{string.Join("|", header)}]");
            if (row.PathError is null ? !Path.IsPathRooted(row.ResolvedPath) : row.ResolvedPath.Length != 0)
                throw new ContractViolation($"record {rows}: resolved path '{row.ResolvedPath}' with error '{row.PathError}'");
            pathErrors |= row.PathError is not null;
        }
        if (warnings > 1) throw new ContractViolation($"the ragged-row warning came {warnings} times");
        var records = rows switch { 0 => "0 records", 1 => "1 record", < 10 => "2-9 records", _ => "10+ records" };
        return (rows, $"read: {records}, {Math.Min(header.Count, 4)}{(header.Count > 4 ? "+" : "")} column(s)" +
                      $"{(multiline ? ", blank or multi-line records" : "")}{(pathErrors ? ", path errors" : "")}{(warnings > 0 ? ", ragged" : "")}");
    }

    /// <summary>The header's names in a refusal: they vary with every input, the refusal does not.</summary>
    [GeneratedRegex(@"\(columns.*?\)(?=; |, '|$)", RegexOptions.Singleline)]
    private static partial Regex ColumnList();
}
