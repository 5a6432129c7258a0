using System.Diagnostics;
using EdramFer.Tests.Shared;

namespace EdramFer.Notebooks.Tests;

/// <summary>
/// Inputs the notebooks find through environment variables: a random-weights model (<c>edram-train export --random</c>) and a
/// runs folder with a real two-epoch training run (<c>edram-train train</c> on a few images), both made by the built tool.
/// </summary>
public sealed class NotebookFixture : IDisposable
{
    public NotebookFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), "edramfer-notebooks-" + Environment.ProcessId);
        Directory.CreateDirectory(Folder);
        Model = Path.Combine(Folder, "random-cpu.onnx");
        EdramTrain("export", "--random", "cpu", "--output", Model);
        RunsFolder = Path.Combine(Folder, "runs");
        var data = Path.Combine(Folder, "tiny-data");
        foreach (var (label, shade) in new[] { ("happy", 60), ("sad", 120), ("surprise", 180) })
        {
            Directory.CreateDirectory(Path.Combine(data, label));
            for (var i = 0; i < 6; i++) WriteGradient(Path.Combine(data, label, $"{label}{i}.bmp"), shade + 7 * i);
        }
        EdramTrain("train", "--dataset", $"folder:{data}", "--output", Path.Combine(RunsFolder, "tiny"), "--preset", "cpu", "--epochs", "2", "--steps", "2",
            "--batch-size", "8", "--detector", "none", "--device", "cpu", "--threads", "1");
    }

    public string Folder { get; }
    public string Model { get; }
    public string RunsFolder { get; }

    /// <summary>The configuration these tests were built in (bin/&lt;configuration&gt;/net10.0).</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    private static string TrainTool => Path.Combine(SharedData.RepoRoot, "src", "EdramFer.Training.Cli", "bin", Configuration, "net10.0", "edram-train.dll");

    private static void EdramTrain(params string[] args)
    {
        var (code, output) = EdramCli.RunDll(TrainTool, null, args);
        if (code != 0) throw new InvalidOperationException($"edram-train {string.Join(' ', args)} exited {code}:\n{output}");
    }

    /// <summary>A 48x48 grey gradient image (24-bit BMP) whose brightness depends on <paramref name="shade"/>.</summary>
    private static void WriteGradient(string path, int shade)
    {
        const int side = 48, row = side * 3; // 144 bytes: already a multiple of 4, no row padding
        var bytes = new byte[54 + row * side];
        void Int(int offset, int value) => BitConverter.GetBytes(value).CopyTo(bytes, offset);
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        Int(2, bytes.Length);
        Int(10, 54);
        Int(14, 40);
        Int(18, side);
        Int(22, side);
        bytes[26] = 1;
        bytes[28] = 24;
        Int(34, row * side);
        for (var y = 0; y < side; y++)
            for (var x = 0; x < side; x++)
            {
                var v = (byte)((shade + x + y) % 256);
                var o = 54 + y * row + x * 3;
                bytes[o] = bytes[o + 1] = bytes[o + 2] = v;
            }
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } // best effort
    }
}

/// <summary>Executes every notebooks/*.ipynb and fails on any cell error.</summary>
public class NotebookTests(NotebookFixture fixture) : IClassFixture<NotebookFixture>
{
    private static string NotebookFolder => Path.Combine(SharedData.RepoRoot, "notebooks");

    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(NotebookFolder, "*.ipynb").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    /// <summary>Writes the inline PNGs of a run to <paramref name="folder"/> as &lt;notebook&gt;-&lt;n&gt;.png (for looking at them).</summary>
    private static void SaveFigures(string folder, string notebook, IEnumerable<string> outputs)
    {
        Directory.CreateDirectory(folder);
        var n = 0;
        foreach (var o in outputs)
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(o, "data:image/png;base64,([A-Za-z0-9+/=]+)"))
                File.WriteAllBytes(Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(notebook)}-{++n}.png"), Convert.FromBase64String(m.Groups[1].Value));
    }

    [Fact]
    public void Notebooks_AllFourPresent()
    {
        Assert.Equal(["01-training.ipynb", "02-attention.ipynb", "03-zoom-experiment.ipynb", "04-valence-arousal.ipynb"],
            Directory.GetFiles(NotebookFolder, "*.ipynb").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_RunsWithoutCellErrors(string name)
    {
        Environment.SetEnvironmentVariable("EDRAM_MODEL", fixture.Model);
        Environment.SetEnvironmentVariable("EDRAM_RUNS", fixture.RunsFolder);
        Environment.SetEnvironmentVariable("EDRAM_NOTEBOOK_PER_CLASS", "4");
        Environment.SetEnvironmentVariable("EDRAM_SHOW_UNTRAINED_VA", "1");
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(NotebookFolder); // what Polyglot Notebooks and Jupyter do
        try
        {
            var cells = await NotebookRunner.RunAsync(Path.Combine(NotebookFolder, name));
            var failed = cells.FirstOrDefault(c => c.Error is not null);
            Assert.True(failed is null, $"{name} cell {failed?.Index}:\n{failed?.Code}\n--- error ---\n{failed?.Error}");
            var outputs = cells.SelectMany(c => c.Outputs).ToList();
            if (Environment.GetEnvironmentVariable("EDRAM_NOTEBOOK_OUTPUT") is { Length: > 0 } keep) SaveFigures(keep, name, outputs);
            // Every notebook shows something: a figure, a table, or a visible skip reason.
            Assert.True(outputs.Any(o => o.Contains("<img", StringComparison.Ordinal) || o.Contains("<table", StringComparison.Ordinal) || o.Contains("Skipped:", StringComparison.Ordinal)),
                $"{name} displayed nothing:\n{string.Join("\n", outputs.Select(o => o[..Math.Min(200, o.Length)]))}");
            if (name == "03-zoom-experiment.ipynb") // the recorded FER2013 runs of docs/runs are in the table
                foreach (var run in new[] { "fer2013-cpu-12ep", "fer2013-cpu-zoom05", "fer2013-cpu-zoom03" })
                    Assert.Contains(outputs, o => o.Contains(run, StringComparison.Ordinal));
            var needsData = name is "02-attention.ipynb" or "04-valence-arousal.ipynb";
            if (!needsData || SharedData.MissingReason("fer2013/test") is null)
                Assert.Contains(outputs, o => o.Contains("data:image/png;base64,", StringComparison.Ordinal));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }
}
