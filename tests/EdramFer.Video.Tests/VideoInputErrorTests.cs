using EdramFer.Tests.Shared;

namespace EdramFer.Video.Tests;

/// <summary>Bad video files: each a clear error naming the file; in a batch the other videos are still scored.</summary>
public class VideoInputErrorTests
{
    private const string Photos = "muxspace_facial_expressions/images";

    /// <summary>Writes the bad files into <paramref name="dir"/>: name → what the error must say.</summary>
    private static Dictionary<string, string> BadFiles(string dir)
    {
        File.WriteAllBytes(Path.Combine(dir, "empty.mp4"), []);
        File.WriteAllText(Path.Combine(dir, "text.mp4"), "this is a text file, not a video\n");
        var mp4 = File.ReadAllBytes(TestVideos.Acceptance);
        File.WriteAllBytes(Path.Combine(dir, "truncated.mp4"), mp4[..(mp4.Length / 2)]);
        // MJPEG in AVI keeps its header (and the declared frame count) at the start: cut, it opens and then ends early.
        var avi = Path.Combine(dir, "full.avi");
        var photo = TestVideos.DetectablePhotos(1)[0];
        using (var writer = new OpenCvSharp.VideoWriter(avi, OpenCvSharp.FourCC.MJPG, 30, new OpenCvSharp.Size(TestVideos.Width, TestVideos.Height)))
            for (var i = 0; i < 30; i++)
            {
                using var frame = TestVideos.Compose([(photo, TestVideos.FaceOne(i % 10))]);
                writer.Write(frame);
            }
        var bytes = File.ReadAllBytes(avi);
        File.WriteAllBytes(Path.Combine(dir, "truncated.avi"), bytes[..(bytes.Length / 2)]);
        return new()
        {
            ["missing.mp4"] = "video file not found",
            ["empty.mp4"] = "file is empty (0 bytes)",
            ["text.mp4"] = "FFmpeg could not open it as a video",
            ["truncated.mp4"] = "FFmpeg could not open it as a video",
            ["truncated.avi"] = "frames the file declares (truncated or corrupt)",
        };
    }

    [SharedDataFact(Photos)]
    public void Open_BadFiles_ErrorNamesTheFileAndTheProblem()
    {
        var dir = TestVideos.TempFolder("bad-open");
        foreach (var (name, problem) in BadFiles(dir))
        {
            var path = Path.Combine(dir, name);
            var e = Assert.ThrowsAny<Exception>(() =>
            {
                using var source = VideoSource.Open(path);
                using var frame = new OpenCvSharp.Mat();
                while (source.Read(frame)) { }
                source.CheckComplete();
            });
            Assert.True(e is InvalidDataException or FileNotFoundException, e.ToString());
            Assert.StartsWith(path + ":", e.Message);
            Assert.Contains(problem, e.Message);
        }
    }

    [SharedDataFact(Photos)]
    public void Video_BatchWithBadVideos_ErrorRowPerBadFileAndGoodVideosScored()
    {
        var dir = TestVideos.TempFolder("bad-batch");
        var bad = BadFiles(dir);
        File.Copy(TestVideos.Acceptance, Path.Combine(dir, "good.mp4"));
        File.WriteAllLines(Path.Combine(dir, "videos.csv"), ["path", "good.mp4", .. bad.Keys, "good.mp4"]);
        var (code, output) = VideoCommandTests.Edram(dir, "video", "--model", TestVideos.Model, "--input", "videos.csv", "--output", "frames.csv", "--every", "5");
        Assert.True(code == 0, output);
        var rows = VideoCommandTests.ReadTable(Path.Combine(dir, "frames.csv"));
        foreach (var (name, problem) in bad)
        {
            var errors = rows.Where(r => r["video"] == name && r["status"] == "error").ToList();
            var error = Assert.Single(errors);
            Assert.Contains(Path.Combine(dir, name), error["error"]);
            Assert.Contains(problem, error["error"]);
        }
        // The truncated AVI's decoded frames are scored before its error row.
        Assert.Contains(rows, r => r["video"] == "truncated.avi" && r["status"] == "ok");
        Assert.Equal(12, rows.Count(r => r["video"] == "good.mp4")); // 6 sampled frames, twice
        Assert.True(rows.Where(r => r["video"] == "good.mp4").All(r => r["status"] is "ok" or "no_face"));
    }

    [SharedDataTheory(Photos)]
    [InlineData("missing.mp4"), InlineData("empty.mp4"), InlineData("text.mp4"), InlineData("truncated.mp4")]
    public void Video_OneBadFile_Exit1NamingTheFile(string name)
    {
        var dir = TestVideos.TempFolder("bad-one");
        var problem = BadFiles(dir)[name];
        var (code, output) = VideoCommandTests.Edram(dir, "video", "--model", TestVideos.Model, "--input", name, "--output", "frames.csv");
        Assert.Equal(1, code);
        var flat = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        Assert.Contains(name, flat);
        Assert.Contains(problem, flat);
        Assert.False(File.Exists(Path.Combine(dir, "frames.csv")));
    }
}
