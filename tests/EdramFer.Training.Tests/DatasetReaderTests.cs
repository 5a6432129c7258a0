using EdramFer.Training.Data;

namespace EdramFer.Training.Tests;

public class DatasetReaderTests
{
    [Fact]
    public void Read_Fer2013Csv_MapsCodesToFolderLabelsAndCountsBadRows()
    {
        using var dir = new TempDir();
        string px = string.Join(' ', Enumerable.Repeat("128", 2304));
        File.WriteAllLines(dir.File("fer2013.csv"),
        [
            "emotion,pixels,Usage",
            $"3,{px},Training",       // happy
            $"6,{px},Training",       // neutral (code 6) → folder label index 4
            $"4,{px},PublicTest",     // sad
            $"2,{px},PrivateTest",    // kept out
            $"9,{px},Training",       // bad code
            "0,1 2 3,Training",       // too few pixels
        ]);
        var d = DatasetReader.Read("fer2013:" + dir.Path);
        Assert.Equal(DatasetReader.Fer2013Labels, d.Labels);
        Assert.Equal(new[] { 3, 4 }, d.Train.Samples.Select(s => s.Label));
        Assert.Equal(new[] { 5 }, d.Test.Samples.Select(s => s.Label));    // PublicTest is the test split, never validation
        Assert.Empty(d.Validation.Samples);                                 // 10 % of one image per class rounds to none
        Assert.Equal(2, d.Train.BadRows.Count);
        Assert.Contains(d.Train.BadRows, b => b.Reason.Contains("2304"));
        Assert.All(d.Train.Samples, s => Assert.Equal(2304, s.Pixels!.Length));
    }

    [Fact]
    public void Read_GenericCsv_ResolvesRelativePathsAndReportsBadRows()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("img"));
        File.WriteAllText(dir.File("img/a.png"), "x");
        File.WriteAllText(dir.File("img/b.png"), "x");
        File.WriteAllLines(dir.File("set.csv"),
        [
            "path,label,valence,arousal,extra",
            "img/a.png,happy,0.5,-0.25,foo",
            "img/b.png,sad,,,bar",
            "img/missing.png,happy,0,0,",
        ]);
        var d = DatasetReader.Read("csv:" + dir.File("set.csv"), holdout: 0, classes: ["happy", "sad"]);
        Assert.Equal(["happy", "sad"], d.Labels);
        Assert.Equal(2, d.Train.Samples.Count);
        Assert.Equal(Path.GetFullPath(dir.File("img/a.png")), d.Train.Samples[0].Source);
        Assert.Equal(0.5f, d.Train.Samples[0].Valence);
        Assert.Null(d.Train.Samples[1].Valence);
        var bad = Assert.Single(d.Train.BadRows);
        Assert.Contains("missing.png", bad.Source);
        Assert.Equal("file not found", bad.Reason);
    }

    /// <summary>Issue 14 item 14: before the fix a typo'd label became a class of its own, an empty path was reported as
    /// the CSV's folder "file not found", and a directory as "file not found".</summary>
    [Fact]
    public void Read_CsvProblems_NamedNotMisreported()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("img/sub"));
        File.WriteAllText(dir.File("img/a.png"), "x");
        File.WriteAllLines(dir.File("set.csv"), ["path,label", "img/a.png,happy", "img/a.png,sad", "img/a.png,hapy", ",sad", "img/sub,happy"]);
        var spec = "csv:" + dir.File("set.csv");

        var typo = Assert.Throws<InvalidDataException>(() => DatasetReader.Read(spec, holdout: 0, classes: ["happy", "sad"]));
        Assert.Contains("labels outside the classes (happy, sad): 'hapy' (1 rows, first at line 4)", typo.Message);
        var unnamed = Assert.Throws<InvalidDataException>(() => DatasetReader.Read(spec, holdout: 0));
        Assert.Contains("'happy' (2 rows, first at line 2), 'hapy' (1 rows, first at line 4), 'sad' (2 rows, first at line 3)", unnamed.Message);
        Assert.Contains("--classes infer", unnamed.Message);

        var inferred = DatasetReader.Read(spec, holdout: 0, inferClasses: true);
        Assert.Equal(["happy", "hapy", "sad"], inferred.Labels);
        var bad = inferred.Train.BadRows.ToDictionary(b => b.Reason, b => b.Source);
        Assert.Equal("set.csv:5", bad["empty path"]);
        Assert.Equal(Path.GetFullPath(dir.File("img/sub")), bad["a directory, not an image file"]);
        Assert.Equal(3, inferred.Train.Samples.Count);
    }

    [Fact]
    public void Read_AffectNet_ExcludesNoneUncertainNoFaceAndMapsValenceArousal()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("Manually_Annotated_Images/1"));
        foreach (var n in new[] { "a", "b", "c", "d" }) File.WriteAllText(dir.File($"Manually_Annotated_Images/1/{n}.jpg"), "x");
        var header = "subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,expression,valence,arousal";
        File.WriteAllLines(dir.File("training.csv"),
        [
            header,
            "1/a.jpg,0,0,10,10,\"1;2\",1,0.8,0.2",
            "1/b.jpg,0,0,10,10,\"1;2\",7,0.1,0.1",   // contempt: excluded in 7-class mode
            "1/c.jpg,0,0,10,10,\"1;2\",9,0,0",       // uncertain: excluded
            "1/d.jpg,0,0,10,10,\"1;2\",6,-2,-2",     // anger, VA unknown
            "1/zzz.jpg,0,0,10,10,\"1;2\",0,0,0",     // missing file
        ]);
        var d = DatasetReader.Read("affectnet:" + dir.Path, holdout: 0);
        Assert.Equal(7, d.Labels.Count);
        Assert.Equal(new[] { 1, 6 }, d.Train.Samples.Select(s => s.Label));
        Assert.Equal(0.8f, d.Train.Samples[0].Valence);
        Assert.False(d.Train.Samples[1].HasValenceArousal);
        Assert.Single(d.Train.BadRows);
        var d8 = DatasetReader.Read("affectnet:" + dir.Path, holdout: 0, affectNetClasses: 8);
        Assert.Equal(new[] { 1, 7, 6 }, d8.Train.Samples.Select(s => s.Label));
    }

    [Fact]
    public void Read_Folder_UsesSubfoldersAsClassesAndHoldsOutValidation()
    {
        using var dir = new TempDir();
        var data = TestModels.WriteBlobDataset(dir.File("data"), 10);
        File.WriteAllText(Path.Combine(data, "top", "notes.txt"), "not an image");
        var d = DatasetReader.Read("folder:" + data, holdout: 0.2, seed: 4);
        Assert.Equal(["bottom", "top"], d.Labels);
        Assert.Equal(16, d.Train.Samples.Count);
        Assert.Equal(4, d.Validation.Samples.Count);
        Assert.Single(d.Train.BadRows);
    }

    [Fact]
    public void HoldOut_ShuffledOrMovedFiles_SameStratifiedSplit()
    {
        using var dir = new TempDir();
        var data = TestModels.WriteBlobDataset(dir.File("data"), 30);
        var d = DatasetReader.Read("folder:" + data, holdout: 0.1, seed: 3);
        Assert.Equal(3, d.Validation.Samples.Count(s => s.Label == 0));   // 10 % of each class
        Assert.Equal(3, d.Validation.Samples.Count(s => s.Label == 1));
        // The same files in another order and another folder: the split follows the file names only.
        var moved = d with
        {
            Train = new DatasetSplit(d.Train.Samples.Concat(d.Validation.Samples).Reverse()
                .Select(s => s with { Source = Path.Combine("/elsewhere", Path.GetFileName(s.Source)) }).ToList(), []),
            Validation = new DatasetSplit([], []),
        };
        var again = DatasetReader.HoldOut(moved, 0.1, seed: 3);
        Assert.Equal(d.Validation.Samples.Select(s => Path.GetFileName(s.Source)).Order(), again.Validation.Samples.Select(s => Path.GetFileName(s.Source)).Order());
        var otherSeed = DatasetReader.HoldOut(moved, 0.1, seed: 4).Validation.Samples.Select(s => Path.GetFileName(s.Source)).Order();
        Assert.NotEqual(again.Validation.Samples.Select(s => Path.GetFileName(s.Source)).Order(), otherSeed);
    }

    [Fact]
    public void Read_UnknownKind_ThrowsNamingKinds()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetReader.Read("imagenet:/x"));
        Assert.Contains("fer2013:", e.Message);
    }

    /// <summary>
    /// RFC 4180 through CsvHelper: a comma, a doubled quote and a newline inside quoted paths; the row numbers in bad-row
    /// messages count records (the hand-written splitter this replaced split the quoted newline into two broken rows).
    /// </summary>
    [Fact]
    public void ReadCsv_QuotedCommaQuoteAndNewline_ReadAsOneFieldEach()
    {
        using var dir = new TempDir();
        foreach (var name in new[] { "b,c.png", "d\"e.png", "two\nlines.png" }) File.WriteAllText(dir.File(name), "x");
        File.WriteAllText(dir.File("set.csv"),
            "path,label\n\"b,c.png\",happy\n\"d\"\"e.png\",sad\n\"two\nlines.png\",happy\n\nmissing.png,sad\nx\"y.png,sad\n");
        var split = DatasetReader.ReadCsv(dir.File("set.csv"), ["happy", "sad"]);
        Assert.Equal([dir.File("b,c.png"), dir.File("d\"e.png"), dir.File("two\nlines.png")], split.Samples.Select(x => x.Source));
        Assert.Equal([0, 1, 0], split.Samples.Select(x => x.Label));
        Assert.Equal(2, split.BadRows.Count);
        Assert.Equal("file not found", split.BadRows[0].Reason);
        Assert.Equal("set.csv:8", split.BadRows[1].Source);   // the line the broken record starts on
        Assert.StartsWith("malformed CSV record", split.BadRows[1].Reason);
    }
}
