// Shared by the test projects: <Compile Include="../Shared/SharedData.cs" />.
// Locates the real data (never copied into the repo) and skips tests visibly when it is absent.
using Xunit;

namespace EdramFer.Tests.Shared;

/// <summary>
/// Finds the shared data folder: <c>$EDRAM_SHARED_DATA</c> when set, else <c>&lt;repo root&gt;/../shared/data</c>,
/// where the repo root is the first folder above the test binaries that holds <c>EdramFer.sln</c>.
/// </summary>
public static class SharedData
{
    /// <summary>Environment variable that overrides the data folder.</summary>
    public const string EnvironmentVariable = "EDRAM_SHARED_DATA";

    private static readonly Lazy<string> RootLazy = new(() =>
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return System.IO.Path.GetFullPath(env);
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared", "data"));
    });

    /// <summary>The repository root (folder holding EdramFer.sln), found by walking up from the test binaries.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "EdramFer.sln"))) return dir.FullName;
            throw new InvalidOperationException($"EdramFer.sln not found in any folder above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>Absolute path of the shared data folder (it may not exist).</summary>
    public static string Root => RootLazy.Value;

    /// <summary>A path inside the shared data folder, e.g. <c>Path("fer2013", "test")</c>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Null when the folder (and every <paramref name="required"/> sub-path) exists, else a skip reason naming what is missing.</summary>
    public static string? MissingReason(params string[] required)
    {
        if (!Directory.Exists(Root))
            return $"shared data not found at {Root}; set {EnvironmentVariable}";
        foreach (var r in required)
        {
            var full = System.IO.Path.Combine(Root, r);
            if (!Directory.Exists(full) && !File.Exists(full))
                return $"shared data at {Root} lacks '{r}'; set {EnvironmentVariable} to a complete copy";
        }
        return null;
    }
}

/// <summary>A <see cref="FactAttribute"/> skipped, with the reason shown, when the shared data (or a listed sub-path) is missing.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    /// <param name="required">sub-paths of the data folder the test needs, e.g. "fer2013/test"</param>
    public SharedDataFactAttribute(params string[] required)
    {
        if (SharedData.MissingReason(required) is { } reason) Skip = reason;
    }
}

/// <summary>A <see cref="TheoryAttribute"/> skipped, with the reason shown, when the shared data (or a listed sub-path) is missing.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    /// <param name="required">sub-paths of the data folder the test needs</param>
    public SharedDataTheoryAttribute(params string[] required)
    {
        if (SharedData.MissingReason(required) is { } reason) Skip = reason;
    }
}
