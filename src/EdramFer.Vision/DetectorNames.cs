namespace EdramFer.Vision;

/// <summary>
/// The one spelling of detectors, shared by <c>--detector</c>, the <c>preprocess.detectors</c> metadata and the
/// <c>detector</c> output column: lower-case kind names, and <see cref="Off"/> for the empty chain (no detection).
/// </summary>
public static class DetectorNames
{
    /// <summary>Detection off: the input is already a face crop and the whole image is scored.</summary>
    public const string Off = "none";

    /// <summary>Every name a chain may hold.</summary>
    public static readonly IReadOnlyList<string> All = ["yunet", "ssd", "dlib", "haar", Off];

    /// <summary>The lower-case name of a detector.</summary>
    public static string Name(DetectorKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>A chain as "yunet,haar", or <see cref="Off"/> when empty.</summary>
    public static string Format(IReadOnlyList<DetectorKind> chain) => chain.Count == 0 ? Off : string.Join(",", chain.Select(Name));

    /// <summary>Parses "yunet,haar"; "none" (alone or as an entry) adds no detector. Throws <see cref="FormatException"/> naming an unknown entry.</summary>
    public static IReadOnlyList<DetectorKind> Parse(string chain) =>
        chain.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(d => !d.Equals(Off, StringComparison.OrdinalIgnoreCase))
            .Select(d => Enum.TryParse<DetectorKind>(d, ignoreCase: true, out var k) && Enum.IsDefined(k) && !int.TryParse(d, out _)
                ? k
                : throw new FormatException($"unknown detector '{d}': expected {string.Join(", ", All)}"))
            .ToList();

    /// <summary>
    /// The <c>detector</c> column of a result: the detector that found <paramref name="face"/>; <see cref="Off"/> for a
    /// face without one (detection off: the whole image); empty when there is no face (none found, or not known).
    /// </summary>
    public static string OfFace(FaceBox? face, DetectorKind? detector) => face is null ? "" : detector is { } k ? Name(k) : Off;
}
