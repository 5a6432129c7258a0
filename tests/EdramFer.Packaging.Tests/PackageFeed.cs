using System.IO.Compression;
using System.Xml.Linq;
using EdramFer.Tests.Shared;

namespace EdramFer.Packaging.Tests;

/// <summary>
/// Packs every package of the solution once (Release, --no-build: scripts/setup.sh built it) into a folder feed under
/// a fresh temp folder, with a version no earlier run used, and writes the nuget.config a user would: that feed plus
/// the sources configured on this machine. Restores go to an isolated NUGET_PACKAGES folder, so no cached EdramFer
/// package can be picked up; the machine's global packages folder serves as a read-only fallback for third-party packages.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The temp folder holding the feed, the isolated package folder and the consumers.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("edram-packaging-").FullName;

    /// <summary>The central version (Directory.Build.props) with a unique pre-release suffix.</summary>
    public string Version { get; } = $"{CentralVersion()}-test.{DateTime.UtcNow:yyyyMMddHHmmss}";

    /// <summary>The local folder feed.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The nuget.config of the consumers (in <see cref="Root"/>, so every project below it uses it).</summary>
    public string NuGetConfig => Path.Combine(Root, "nuget.config");

    /// <summary>A copy of the demo photos (artifacts/demo) outside the repository: images.csv and images/.</summary>
    public string Demo => Path.Combine(Root, "demo");

    /// <summary>Environment for every child process: the isolated packages folder, no first-run noise.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    private readonly Lazy<TimeSpan> packed;

    public PackageFeed()
    {
        Environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Path.Combine(Root, "packages"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        packed = new Lazy<TimeSpan>(Pack);
    }

    /// <summary>Packs on the first call (not when every test is skipped); returns the pack's wall time.</summary>
    public TimeSpan EnsurePacked() => packed.Value;

    private TimeSpan Pack()
    {
        var globalPackages = GlobalPackagesFolder();
        var started = DateTime.UtcNow;
        // The pack reads the build's own restore (--no-build implies --no-restore): no isolated folder there.
        ChildProcess.Run("dotnet", SharedData.RepoRoot, new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" }, PackTimeout,
            "pack", "EdramFer.sln", "-c", "Release", "--no-build", "-nologo", "-v", "quiet", "-o", Feed, $"-p:Version={Version}");
        var packTime = DateTime.UtcNow - started;
        WriteNuGetConfig(globalPackages);
        CopyDemo();
        return packTime;
    }

    /// <summary>Path of a package in the feed; fails naming the feed's contents when it was not packed.</summary>
    public string Package(string id)
    {
        var path = Path.Combine(Feed, $"{id}.{Version}.nupkg");
        Assert.True(File.Exists(path), $"{id} was not packed: {Feed} holds {string.Join(", ", Directory.GetFiles(Feed).Select(Path.GetFileName))}");
        return path;
    }

    /// <summary>Extracts one entry of a packed package (e.g. the model from EdramFer.Models.Fer2013) to <paramref name="destination"/>.</summary>
    public string Extract(string id, string entry, string destination)
    {
        using var zip = ZipFile.OpenRead(Package(id));
        var found = zip.GetEntry(entry) ?? throw new InvalidDataException($"{id} has no entry '{entry}'");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        found.ExtractToFile(destination, overwrite: true);
        return destination;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static string CentralVersion() =>
        XDocument.Load(Path.Combine(SharedData.RepoRoot, "Directory.Build.props")).Descendants("Version").Single().Value;

    /// <summary>The machine's global packages folder, asked before NUGET_PACKAGES is redirected.</summary>
    private static string GlobalPackagesFolder()
    {
        var output = ChildProcess.Run("dotnet", Path.GetTempPath(), new Dictionary<string, string>(), TimeSpan.FromMinutes(2),
            "nuget", "locals", "global-packages", "--list");
        const string prefix = "global-packages:";
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"'dotnet nuget locals global-packages --list' printed no '{prefix}' line:\n{output}");
        return line[prefix.Length..].Trim();
    }

    /// <summary>The feed is added to, not substituted for, the sources configured here (no &lt;clear/&gt;).</summary>
    private void WriteNuGetConfig(string globalPackages) =>
        new XDocument(new XElement("configuration",
            new XElement("packageSources", new XElement("add", new XAttribute("key", "edramfer-local"), new XAttribute("value", Feed))),
            new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", globalPackages)))))
            .Save(NuGetConfig);

    private void CopyDemo()
    {
        var source = DemoPhotosFactAttribute.Folder;
        Directory.CreateDirectory(Path.Combine(Demo, "images"));
        File.Copy(Path.Combine(source, "images.csv"), Path.Combine(Demo, "images.csv"));
        foreach (var image in Directory.GetFiles(Path.Combine(source, "images")))
            File.Copy(image, Path.Combine(Demo, "images", Path.GetFileName(image)));
    }
}

/// <summary>A fact skipped, with the reason shown, when scripts/setup.sh has not fetched the demo photos.</summary>
public sealed class DemoPhotosFactAttribute : FactAttribute
{
    /// <summary>Where scripts/setup.sh puts the photos it extracts from Debian's python3-skimage package.</summary>
    public static string Folder => Path.Combine(SharedData.RepoRoot, "artifacts", "demo");

    public DemoPhotosFactAttribute()
    {
        if (!File.Exists(Path.Combine(Folder, "images.csv")))
            Skip = $"demo photos not found at {Folder}: scripts/setup.sh extracts them from Debian's python3-skimage package";
    }
}
