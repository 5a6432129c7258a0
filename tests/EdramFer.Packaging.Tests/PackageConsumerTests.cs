using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using EdramFer.Tests.Shared;
using Xunit.Abstractions;

namespace EdramFer.Packaging.Tests;

/// <summary>
/// The packages as a user meets them: a fresh console project (`dotnet new console` + two `dotnet add package`) scores
/// the demo photos with PreprocessFace + ApplyEdram and must agree with `edram score` from `dotnet tool install`.
/// Nothing in the consumers refers to the repository: only the feed, the installed packages and a copy of the photos.
/// </summary>
public sealed class PackageConsumerTests(PackageFeed feed, ITestOutputHelper output) : IClassFixture<PackageFeed>
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(10);
    private const double Tolerance = 1e-4;

    [DemoPhotosFact]
    public void ToolInstall_EdramScore_ScoresDemoPhotos()
    {
        var rows = ToolScore();

        Assert.Equal(["images/astronaut.png", "images/camera.png", "images/chelsea.png"], rows.Keys.Order());
        foreach (var face in new[] { "images/astronaut.png", "images/camera.png" })
        {
            Assert.Equal("ok", rows[face].Status);
            Assert.Equal("yunet", rows[face].Detector);   // the detector models travel inside the tool package
            Assert.Contains(rows[face].Label, Labels);
        }
        Assert.Equal("no_face", rows["images/chelsea.png"].Status);
    }

    [DemoPhotosFact]
    public void ConsoleProject_PreprocessFaceApplyEdram_MatchesEdramScore()
    {
        var app = ScoreInConsoleProject("app", csproj => { });

        // The default carries ONNX Runtime's GPU build (it ran on the CPU here: no CUDA needed).
        Assert.Contains(NativeFiles(app), f => f.EndsWith("libonnxruntime_providers_cuda.so", StringComparison.Ordinal));
    }

    [DemoPhotosFact]
    public void ConsoleProject_CpuOnlyRuntime_HasOneNativeRuntimeAndMatchesEdramScore()
    {
        // The CPU-only route of docs/packages.md, as a user would write it into the project file.
        var version = XDocument.Load(Path.Combine(SharedData.RepoRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == "Microsoft.ML.OnnxRuntime").Attribute("Version")!.Value;
        var app = ScoreInConsoleProject("app-cpu", csproj => csproj.Root!.Add(new XElement("ItemGroup",
            new XElement("PackageReference", new XAttribute("Include", "Microsoft.ML.OnnxRuntime.Gpu.Linux"),
                new XAttribute("Version", version), new XAttribute("ExcludeAssets", "all")),
            new XElement("PackageReference", new XAttribute("Include", "Microsoft.ML.OnnxRuntime"), new XAttribute("Version", version)))));

        var natives = NativeFiles(app);
        Assert.DoesNotContain(natives, f => f.Contains("providers_cuda", StringComparison.Ordinal));
        Assert.Single(natives, f => f.EndsWith("/libonnxruntime.so", StringComparison.Ordinal));
    }

    /// <summary>
    /// `dotnet new console`, `dotnet add package` EdramFer.ML and EdramFer.Models.Fer2013, the consumer's Program.cs, then
    /// `dotnet run` on the demo photos; its predictions must equal `edram score`'s. Returns the project's folder.
    /// </summary>
    private string ScoreInConsoleProject(string name, Action<XDocument> editProject)
    {
        feed.EnsurePacked();
        var app = Path.Combine(feed.Root, name);
        Dotnet(feed.Root, "new", "console", "-o", app);
        Dotnet(app, "add", "package", "EdramFer.ML", "--version", feed.Version, "--no-restore");
        Dotnet(app, "add", "package", "EdramFer.Models.Fer2013", "--version", feed.Version, "--no-restore");
        var csprojPath = Path.Combine(app, name + ".csproj");
        var csproj = XDocument.Load(csprojPath);
        editProject(csproj);
        csproj.Save(csprojPath);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Consumer", "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);
        Assert.DoesNotContain("ProjectReference", File.ReadAllText(csprojPath));

        var printed = Dotnet(app, "run", "-c", "Release", "--", Path.Combine(feed.Demo, "images.csv"), feed.Demo);
        var consumer = ParseConsumer(printed, app);
        var tool = ToolScore();

        Assert.Equal(tool.Keys.Order(), consumer.Keys.Order());
        foreach (var (path, expected) in tool)
        {
            var actual = consumer[path];
            Assert.True(expected.Label == actual.Label, $"{path}: edram score says '{expected.Label}', the console project '{actual.Label}'");
            Assert.Equal(expected.Scores.Length, actual.Scores.Length);
            for (var i = 0; i < expected.Scores.Length; i++)
            {
                double e = expected.Scores[i], a = actual.Scores[i];
                Assert.True(Math.Abs(e - a) <= Tolerance || (double.IsNaN(e) && double.IsNaN(a)),
                    $"{path}, score_{Labels[i]}: edram score {e}, console project {a} (tolerance {Tolerance})");
            }
        }
        Assert.Contains(consumer.Values, r => r.Label.Length > 0);
        return app;
    }

    /// <summary>The native libraries in a project's Release output (natives for every platform sit under runtimes/).</summary>
    private static List<string> NativeFiles(string app) =>
        Directory.EnumerateFiles(Path.Combine(app, "bin", "Release"), "*.so*", SearchOption.AllDirectories)
            .Where(f => f.Contains("/linux-x64/", StringComparison.Ordinal) || !f.Contains("/runtimes/", StringComparison.Ordinal)).ToList();

    private static readonly string[] Labels = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"];

    private sealed record Row(string Status, string Detector, string Label, double[] Scores);

    private string Dotnet(string workingDirectory, params string[] args)
    {
        var started = DateTime.UtcNow;
        var text = ChildProcess.Run("dotnet", workingDirectory, feed.Environment, StepTimeout, args);
        output.WriteLine($"dotnet {string.Join(' ', args.Take(3))}: {(DateTime.UtcNow - started).TotalSeconds:F0} s");
        return text;
    }

    /// <summary>`dotnet tool install` of edram from the feed, then `edram score` with the model from the model package.</summary>
    private Dictionary<string, Row> ToolScore()
    {
        output.WriteLine($"pack of the solution into the feed: {feed.EnsurePacked().TotalSeconds:F0} s");
        var tools = Path.Combine(feed.Root, "tools");
        var result = Path.Combine(feed.Root, "tool-scores.jsonl");
        if (!File.Exists(result))
        {
            Dotnet(feed.Root, "tool", "install", "edram", "--version", feed.Version, "--tool-path", tools, "--configfile", feed.NuGetConfig);
            var model = feed.Extract("EdramFer.Models.Fer2013", "models/edram-fer2013.onnx", Path.Combine(feed.Root, "model", "edram-fer2013.onnx"));
            ChildProcess.Run(Path.Combine(tools, "edram"), feed.Root, feed.Environment, StepTimeout,
                "score", "--model", model, "--input", Path.Combine(feed.Demo, "images.csv"), "--output", result);
        }
        return File.ReadLines(result).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(
            r => r.GetProperty("path").GetString()!,
            r => new Row(r.GetProperty("status").GetString()!, r.GetProperty("detector").GetString()!, r.GetProperty("label").GetString()!,
                Labels.Select(l => r.GetProperty("score_" + l) is { ValueKind: JsonValueKind.Number } s ? s.GetDouble() : double.NaN).ToArray()));
    }

    /// <summary>The console project's lines; its model and detector must be the installed packages' copies in its own output.</summary>
    private static Dictionary<string, Row> ParseConsumer(string printed, string app)
    {
        var lines = printed.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        string Value(string key) => lines.Single(l => l.StartsWith(key + ": ", StringComparison.Ordinal))[(key.Length + 2)..];
        Assert.StartsWith(Path.Combine(app, "bin"), Value("model"));
        Assert.StartsWith(Path.Combine(app, "bin"), Value("yunet"));
        var header = lines.FindIndex(l => l.StartsWith("path,label,", StringComparison.Ordinal));
        Assert.True(header >= 0, $"no CSV header in the console project's output:\n{printed}");
        return lines.Skip(header + 1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToDictionary(
            f => f[0],
            f => new Row("", "", f[1], f[2..].Select(s => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture)).ToArray()));
    }
}
