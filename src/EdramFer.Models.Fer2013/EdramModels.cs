namespace EdramFer.Models;

/// <summary>
/// The EDRAM models installed with this package: NuGet copies them to <c>models/</c> of the application's output, and
/// these paths point there, so <c>mlContext.Transforms.ApplyEdram(EdramModels.Fer2013)</c> works from any working
/// directory. The detector models come with EdramFer.Vision (<c>EdramFer.Vision.ShippedModels</c>).
/// </summary>
public static class EdramModels
{
    /// <summary>Folder name beside the assemblies, shared with EdramFer.Vision's detector models.</summary>
    public const string FolderName = "models";

    /// <summary>File name of the FER2013 model.</summary>
    public const string Fer2013File = "edram-fer2013.onnx";

    /// <summary>
    /// Full path of the FER2013 model (7 labels: angry, disgust, fear, happy, neutral, sad, surprise). Research and
    /// non-commercial use only: FER2013's creators give no open licence.
    /// </summary>
    /// <exception cref="FileNotFoundException">the application was built without the package's content files</exception>
    public static string Fer2013 => Find(Fer2013File);

    /// <summary>Folders searched, in order: beside this assembly, then the application's base folder (single-file apps).</summary>
    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        var assemblyDir = Path.GetDirectoryName(typeof(EdramModels).Assembly.Location); // empty in single-file apps
        if (!string.IsNullOrEmpty(assemblyDir)) folders.Add(Path.GetFullPath(Path.Combine(assemblyDir, FolderName)));
        var baseDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, FolderName));
        if (!folders.Contains(baseDir, StringComparer.Ordinal)) folders.Add(baseDir);
        return folders;
    }

    private static string Find(string fileName)
    {
        var candidates = SearchFolders().Select(d => Path.Combine(d, fileName)).ToList();
        return candidates.FirstOrDefault(File.Exists)
               ?? throw new FileNotFoundException(
                   $"{fileName} was not found at {string.Join(" or ", candidates.Select(c => $"'{c}'"))}; the EdramFer.Models.Fer2013 " +
                   "package copies it to models/ of the build output: check that its build assets are not excluded (IncludeAssets/ExcludeAssets)", fileName);
    }
}
