namespace EdramFer.Vision;

/// <summary>
/// The detector models that ship with this library (repository folder <c>models/</c>, copied to <c>models/</c> beside
/// the assembly in every build output and NuGet package). Paths are resolved against the installed library, never the
/// working directory, so a tool finds them wherever it is run from.
/// </summary>
public static class ShippedModels
{
    /// <summary>Folder name beside the assembly.</summary>
    public const string FolderName = "models";

    /// <summary>YuNet file name (OpenCV Zoo, MIT).</summary>
    public const string YuNetFile = "face_detection_yunet_2023mar.onnx";

    /// <summary>res10 SSD graph file name (OpenCV).</summary>
    public const string SsdModelFile = "opencv_face_detector_uint8.pb";

    /// <summary>res10 SSD graph text file name.</summary>
    public const string SsdConfigFile = "opencv_face_detector.pbtxt";

    /// <summary>The shipped YuNet model, or null when the library was installed without it.</summary>
    public static string? YuNetPath => Find(YuNetFile);

    /// <summary>The shipped res10 SSD graph, or null when absent.</summary>
    public static string? SsdModelPath => Find(SsdModelFile);

    /// <summary>The shipped res10 SSD graph text, or null when absent.</summary>
    public static string? SsdConfigPath => Find(SsdConfigFile);

    /// <summary>Folders searched, in order: beside this assembly, then the application's base folder (single-file apps).</summary>
    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        var assemblyDir = Path.GetDirectoryName(typeof(ShippedModels).Assembly.Location); // empty in single-file apps
        if (!string.IsNullOrEmpty(assemblyDir)) folders.Add(Path.Combine(assemblyDir, FolderName));
        var baseDir = Path.Combine(AppContext.BaseDirectory, FolderName);
        if (!folders.Contains(baseDir, StringComparer.Ordinal)) folders.Add(baseDir);
        return folders;
    }

    /// <summary>Full path of a shipped file, or null when no search folder holds it.</summary>
    public static string? Find(string fileName) =>
        SearchFolders().Select(d => Path.GetFullPath(Path.Combine(d, fileName))).FirstOrDefault(File.Exists);
}
