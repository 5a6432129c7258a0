using System.Text;
using CsCheck;
using EdramFer.Cli.Scoring;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;

namespace EdramFer.Cli.Tests;

/// <summary>
/// Property tests of <c>edram score</c> over generated CSVs (issue 14, "Property tests"): for any CSV the reader accepts,
/// every input row yields its output rows in order — one, or one per face with <c>--faces all</c> — with its own columns
/// intact; and a run stopped after any chunk and resumed writes the same bytes as an uninterrupted one.
/// </summary>
public class ScorePropertyTests
{
    /// <summary>Image paths a row may name, with the rows each gives under --faces all: a face-less image, a corrupt file,
    /// a missing one, an empty path, and (with the shared data) the four-face group photo.</summary>
    private static (string Dir, (string Path, int Faces)[] Pool) Images()
    {
        var dir = TestModels.TempFolder("score-prop");
        var pgm = new List<byte>(Encoding.ASCII.GetBytes("P5 80 60 255\n"));
        for (var p = 0; p < 80 * 60; p++) pgm.Add((byte)(p % 253));
        File.WriteAllBytes(Path.Combine(dir, "plain.pgm"), pgm.ToArray());
        File.WriteAllText(Path.Combine(dir, "bad.jpg"), "not a jpeg");
        var pool = new List<(string, int)> { ("plain.pgm", 1), ("bad.jpg", 1), ("gone.png", 1), ("", 1), ("sub dir/../plain.pgm", 1) };
        if (SharedData.MissingReason(GroupPhoto.Source) is null)
        {
            GroupPhoto.Write(Path.Combine(dir, "group.png"));
            pool.Add(("group.png", GroupPhoto.Faces.Length));
        }
        return (dir, pool.ToArray());
    }

    /// <summary>Field text with the characters that break naive CSV handling: separators, quotes, line breaks, spaces, non-ASCII.</summary>
    private static readonly Gen<string> Field = Gen.Char["ab ,;|\"\n\té€"].Array[0, 6].Select(c => new string(c));

    // Empty fields are quoted: a one-column row with an empty path would otherwise be a blank line, which is no record.
    private static string Quote(string field) =>
        field.Length == 0 || field.IndexOfAny([',', '"', '\n', '\r']) >= 0 || field.Trim() != field ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

    private static string WriteCsv(string dir, string[] extras, IEnumerable<(string Path, string[] Fields)> rows)
    {
        var text = new StringBuilder(string.Join(",", new[] { "path" }.Concat(extras).Select(Quote))).Append('\n');
        foreach (var (path, fields) in rows) text.Append(string.Join(",", new[] { path }.Concat(fields).Select(Quote))).Append('\n');
        var csv = Path.Combine(dir, $"in-{Guid.NewGuid():N}.csv");
        File.WriteAllText(csv, text.ToString(), new UTF8Encoding(false));
        return csv;
    }

    private static List<CsvInput.Row> ReadAll(string path)
    {
        using var reader = new CsvInput(path, "path");
        var rows = new List<CsvInput.Row>();
        while (reader.Next() is { } r) rows.Add(r);
        return rows;
    }

    [Fact]
    public void Score_AnyAcceptedCsv_EveryRowInOrderWithItsOwnColumns()
    {
        var (dir, pool) = Images();
        var extraNames = Gen.Int[0, 3].Select(n => Enumerable.Range(0, n).Select(i => $"x{i}").ToArray());
        var gen = Gen.Select(extraNames, Gen.Bool, Gen.Int[0, 10]).SelectMany((names, all, n) =>
            Gen.Select(Gen.Int[0, pool.Length - 1], Field.Array[names.Length]).Array[n].Select(rows => (names, all, rows)));
        gen.Sample(sample =>
        {
            var (names, all, rows) = sample;
            var csv = WriteCsv(dir, names, rows.Select(r => (pool[r.Item1].Path, r.Item2)));
            var output = csv + ".out.csv";
            var (code, log) = ScoreCommandTests.Edram(dir, "score", "--model", TestModels.Small, "--input", csv, "--output", output, "--faces", all ? "all" : "largest");
            Assert.True(code == 0, log);
            var expected = rows.SelectMany(r => Enumerable.Repeat(r, all ? pool[r.Item1].Faces : 1)).ToList();
            var got = ReadAll(output);
            Assert.Equal(expected.Count, got.Count);
            for (var i = 0; i < got.Count; i++)
            {
                Assert.Equal(pool[expected[i].Item1].Path, got[i].Fields["path"]);
                for (var c = 0; c < names.Length; c++) Assert.Equal(expected[i].Item2[c], got[i].Fields[names[c]]);
                Assert.Contains(got[i].Fields["status"], new[] { "ok", "no_face", "error" });
            }
        }, iter: 12, threads: 1);
    }

    [Fact]
    public void Score_StoppedAfterAnyChunkAndResumed_SameBytesAsUninterrupted()
    {
        var (dir, pool) = Images();
        var gen = Gen.Int[9, 30].SelectMany(n => Gen.Select(Gen.Int[0, pool.Length - 1], Field).Array[n]
            .Select(Gen.Int[1, (n - 1) / 8], (rows, stopAfter) => (rows, stopAfter)));
        gen.Sample(sample =>
        {
            var (rows, stopAfter) = sample;
            var csv = WriteCsv(dir, ["note"], rows.Select(r => (pool[r.Item1].Path, new[] { r.Item2 })));
            string[] common = ["score", "--model", TestModels.Small, "--input", csv, "--batch-size", "1", "--faces", "all"]; // chunks of 8 rows
            var (full, fullLog) = ScoreCommandTests.Edram(dir, [.. common, "--output", csv + ".full.csv"]);
            Assert.True(full == 0, fullLog);
            var (stopped, stoppedLog) = ScoreCommandTests.Edram(dir, [.. common, "--output", csv + ".resumed.csv", "--stop-after-chunks", stopAfter.ToString()]);
            Assert.True(stopped == 2, stoppedLog);
            var (resumed, resumedLog) = ScoreCommandTests.Edram(dir, [.. common, "--output", csv + ".resumed.csv", "--resume"]);
            Assert.True(resumed == 0, resumedLog);
            Assert.Contains($"resuming after row {8 * stopAfter}", resumedLog);
            Assert.Equal(File.ReadAllBytes(csv + ".full.csv"), File.ReadAllBytes(csv + ".resumed.csv"));
        }, iter: 6, threads: 1);
    }
}
