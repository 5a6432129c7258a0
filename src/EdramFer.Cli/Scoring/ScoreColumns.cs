using System.Globalization;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Vision;

namespace EdramFer.Cli.Scoring;

/// <summary>
/// The columns of <c>edram score</c>'s output: path, then the output schema every command shares (status — see
/// <see cref="RowStatus"/> —, error, the face: count, index, box in source pixels, detector and its score, then label,
/// one score per class, valence, arousal), then the input's other columns. An input column whose name is taken is
/// written as <c>input_&lt;name&gt;</c> (prefixed again until the name is free), so no two columns share a name.
/// </summary>
internal sealed class ScoreColumns
{
    private readonly List<string> _extras;
    private readonly bool _landmarks;
    private readonly float _minConfidence;
    private readonly List<string> _header;

    /// <param name="landmarks">Add the five facial points (<see cref="OutputSchema.LandmarkColumns"/>) after the result columns.</param>
    /// <param name="minConfidence">A scored row whose top probability is below it gets status uncertain and no label (scores kept); 0: never.</param>
    public ScoreColumns(IReadOnlyList<string> labels, string imageColumn, bool landmarks = false, float minConfidence = 0)
    {
        _landmarks = landmarks;
        _minConfidence = minConfidence;
        Labels = labels;
        ImageColumn = imageColumn;
        Fixed = ["path", .. OutputSchema.Columns(labels), .. landmarks ? OutputSchema.LandmarkColumns : []];
        StatusIndex = Fixed.ToList().IndexOf(OutputSchema.Status);
        _extras = [];
        _header = [];
    }

    public IReadOnlyList<string> Labels { get; }
    public string ImageColumn { get; }
    public IReadOnlyList<string> Fixed { get; }
    /// <summary>True for the columns holding numbers (counts, box, detector score, class scores, valence, arousal): JSON numbers in JSON Lines.</summary>
    public bool IsNumeric(int index) => index < Fixed.Count && OutputSchema.IsNumeric(Fixed[index]);

    /// <summary>Index of the status column in a record.</summary>
    public int StatusIndex { get; }

    /// <summary>The output header for an input header (fixed columns, then the input's other columns, renamed where taken).</summary>
    public IReadOnlyList<string> Header(IReadOnlyList<string> inputHeader)
    {
        _extras.Clear();
        _extras.AddRange(inputHeader.Where(h => h != ImageColumn));
        var taken = new HashSet<string>(Fixed.Concat(_extras), StringComparer.Ordinal);
        _header.Clear();
        _header.AddRange(Fixed);
        foreach (var e in _extras)
        {
            var name = e;
            if (Fixed.Contains(e))
            {
                do name = "input_" + name; while (!taken.Add(name));
            }
            _header.Add(name);
        }
        return _header;
    }

    /// <summary>One output record: the score of <paramref name="row"/>, then its own columns.</summary>
    public string[] Record(CsvInput.Row row, ImageScore r)
    {
        var error = row.PathError ?? r.Error;
        string[] box = r.Face is { } f ? [Int(f.X), Int(f.Y), Int(f.Width), Int(f.Height)] : ["", "", "", ""];
        var detected = r.Face is not null && r.Detector is not null;
        var faceCount = r.FaceCount < 0 ? "" : Int(r.FaceCount);
        var (status, label) = (row.PathError is null ? r.Status : RowStatus.Error, r.Label);
        if (status == RowStatus.Ok && r.Probabilities.Max() < _minConfidence) (status, label) = (RowStatus.Uncertain, "");
        return
        [
            row.Path, status, error, faceCount, r.Face is null ? "" : Int(r.FaceIndex), .. box,
            DetectorNames.OfFace(r.Face, r.Detector), detected ? Number(r.Face!.Value.Score) : "",
            label, .. r.Probabilities.Select(Number), Number(r.Valence), Number(r.Arousal), .. Landmarks(r.Face),
            .. _extras.Select(e => row.Fields.GetValueOrDefault(e, "")),
        ];
    }

    /// <summary>The landmark fields when asked for: the face's five points, or empty where the detector gives none.</summary>
    private IEnumerable<string> Landmarks(FaceBox? face) =>
        !_landmarks ? [] : face?.Landmarks is { } p ? p.ToArray().Select(Number) : OutputSchema.LandmarkColumns.Select(_ => "");

    /// <summary>Round-trip invariant float; empty for NaN (a row that was not scored).</summary>
    private static string Number(float v) => float.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
}
