using EdramFer.Cli.Scoring;
using EdramFer.ML.Tests;

namespace EdramFer.Cli.Tests;

/// <summary>The CSV reader of every scoring command, in process: the input defects of issue #14.</summary>
public class CsvInputTests
{
    private static string Write(string text)
    {
        var path = Path.Combine(TestModels.TempFolder("csv"), "in.csv");
        File.WriteAllText(path, text);
        return path;
    }

    private static List<CsvInput.Row> ReadAll(string path, Action<string>? warn = null)
    {
        using var input = new CsvInput(path, "path", warn);
        var rows = new List<CsvInput.Row>();
        while (input.Next() is { } r) rows.Add(r);
        return rows;
    }

    // Before the fix: the later column silently won (`path,id,id` with 1,2 gave 2,2), `path,path` scored the second.
    [Theory]
    [InlineData("path,id,id,note,note\n/x/a.jpg,1,2,first,second\n", "'id' (columns 2 and 3), 'note' (columns 4 and 5)")]
    [InlineData("path,path\n/x/a.jpg,/x/b.jpg\n", "'path' (columns 1 and 2)")]
    public void Open_DuplicateHeaderNames_RefusedNamingThem(string text, string named)
    {
        var e = Assert.Throws<InvalidDataException>(() => new CsvInput(Write(text), "path"));
        Assert.Contains("duplicate column names: " + named, e.Message);
    }

    // Before the fix: CsvHelper detected ';' from the data lines and read "/x/semi" as the path.
    [Fact]
    public void Next_OneColumnHeader_PathsWithSemicolonAndPipeKeptWhole()
    {
        var rows = ReadAll(Write("path\n/x/semi;colon.jpg\n/x/pipe|name.jpg\n/x/tab\tname.jpg\n"));
        Assert.Equal(["/x/semi;colon.jpg", "/x/pipe|name.jpg", "/x/tab\tname.jpg"], rows.Select(r => r.Path));
    }

    [Theory]
    [InlineData(";")]
    [InlineData("\t")]
    [InlineData("|")]
    public void Next_HeaderWithOtherSeparator_ThatSeparatorUsed(string separator)
    {
        var rows = ReadAll(Write($"path{separator}label\n/x/a,b.jpg{separator}happy\n"));
        Assert.Equal("/x/a,b.jpg", rows.Single().Path);
        Assert.Equal("happy", rows.Single().Fields["label"]);
    }

    // Before the fix: the quote ran on over the next line, 3 data lines gave 2 rows and only "file not found".
    [Fact]
    public void Next_UnclosedQuote_MalformedCsvWithLineNumber()
    {
        var path = Write("path,note\n/x/a.jpg,fine\n/x/b.jpg,\"oops\n/x/c.jpg,lost\n");
        var e = Assert.Throws<InvalidDataException>(() => ReadAll(path));
        Assert.Contains("not a well-formed CSV", e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Next_QuotedFieldsWithSeparatorAndLineBreak_ReadIntact()
    {
        var rows = ReadAll(Write("path,note\n/x/a.jpg,\"one, two\"\n/x/b.jpg,\"two\nlines\"\n/x/c.jpg,last\n"));
        Assert.Equal(["one, two", "two\nlines", "last"], rows.Select(r => r.Fields["note"]));
        Assert.Equal([2L, 3L, 5L], rows.Select(r => r.Line));
    }

    // Before the fix: fields beyond the header were dropped without a word.
    [Fact]
    public void Next_RaggedRowsBeyondHeader_WarnedOnceWithLineNumber()
    {
        var warnings = new List<string>();
        var rows = ReadAll(Write("path,note\n/x/a.jpg,a\n/x/b.jpg,b,extra\n/x/c.jpg,c,more,still\n/x/d.jpg\n"), warnings.Add);
        Assert.Equal(4, rows.Count);
        Assert.Equal("", rows[3].Fields["note"]); // short rows read as empty, as before
        var warning = Assert.Single(warnings);
        Assert.Contains("line 3: 3 fields but 2 columns", warning);
    }

    [Fact]
    public void ConsumedBytes_AfterEachRow_EndOfThatRecord()
    {
        var text = "path,note\r\n/x/a.jpg,\"q\"\r\n/x/b.jpg,b\r\n";
        using var input = new CsvInput(Write(text), "path");
        input.Next();
        Assert.Equal(text.IndexOf("\r\n/x/b", StringComparison.Ordinal), input.ConsumedBytes);
        input.Next();
        Assert.Equal(text.Length - 2, input.ConsumedBytes);
    }

    // Before the fix: `path,label,input_label` gave two columns named input_label.
    [Fact]
    public void Header_InputColumnNamedLikeRenamedOne_AllNamesDistinct()
    {
        var columns = new ScoreColumns(TestModels.Labels, "path");
        var header = columns.Header(["path", "label", "input_label", "error"]);
        Assert.Equal(header.Count, header.Distinct().Count());
        Assert.Equal(["input_input_label", "input_label", "input_error"], header.Skip(columns.Fixed.Count));
    }
}
