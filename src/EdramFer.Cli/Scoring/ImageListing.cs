using System.Text;

namespace EdramFer.Cli.Scoring;

/// <summary>
/// <c>edram score --input</c> given an image file or a folder instead of a CSV: the images (a folder recursively, by
/// extension, in ordinal path order, links to folders not followed) are written as a one-column CSV next to the output,
/// <c>&lt;output&gt;.inputs.csv</c>, which the scoring run then reads like any input CSV. Its paths are written as the
/// user named the input (a relative <c>--input photos</c> gives <c>photos/a/1.jpg</c>, resolved against the working
/// folder: <see cref="PathBase"/>), so the output's <c>path</c> column reads the same way. The listing is rebuilt on every run,
/// so <c>--resume</c> recognises the same folder by the same bytes and refuses a folder that changed; it is deleted
/// when the run completes.
/// </summary>
internal static class ImageListing
{
    /// <summary>Extensions scored from a folder (case-insensitive): what the decoders read.</summary>
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".pgm", ".ppm", ".pbm"];

    /// <summary>True when <paramref name="input"/> names a folder or an image file rather than a CSV.</summary>
    public static bool Applies(string input) =>
        Directory.Exists(input) || (File.Exists(input) && Extensions.Contains(Path.GetExtension(input).ToLowerInvariant()));

    /// <summary>Where the listing's relative paths resolve: the working folder, as the user's <c>--input</c> did.</summary>
    public static string PathBase => Directory.GetCurrentDirectory();

    /// <summary>The listing's path for an output file.</summary>
    public static string PathFor(string output) => Path.GetFullPath(output) + ".inputs.csv";

    /// <summary>Writes the listing of <paramref name="input"/> for <paramref name="output"/>; returns its path and the number of images.</summary>
    public static (string Csv, int Images) Write(string input, string output)
    {
        var csv = PathFor(output);
        var root = Path.GetFullPath(input);
        var images = Directory.Exists(input) ? Find(root).Select(f => Path.Join(input, Path.GetRelativePath(root, f))).ToList() : [input];
        if (images.Count == 0)
            throw new InvalidDataException($"'{input}' holds no image files ({string.Join(", ", Extensions)})");
        var text = new StringBuilder("path\n");
        foreach (var image in images) text.Append(Quote(image)).Append('\n');
        File.WriteAllText(csv, text.ToString(), new UTF8Encoding(false));
        return (csv, images.Count);
    }

    private static List<string> Find(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        return Directory.EnumerateFiles(folder, "*", options)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>RFC 4180 quoting where a path holds a separator, quote or line break.</summary>
    private static string Quote(string path) =>
        path.IndexOfAny([',', '"', '\n', '\r', ';', '\t', '|']) >= 0 ? "\"" + path.Replace("\"", "\"\"") + "\"" : path;
}
