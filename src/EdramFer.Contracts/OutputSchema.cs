namespace EdramFer.Contracts;

/// <summary>
/// The result columns every scoring output shares (<c>edram score</c>, <c>edram video</c>), in this order, after the
/// command's own leading columns (the path; the video, frame and track) and before the input's own columns.
/// </summary>
public static class OutputSchema
{
    /// <summary><see cref="RowStatus"/>.</summary>
    public const string Status = "status";
    /// <summary>Why a row has no scores (empty when scored).</summary>
    public const string Error = "error";
    /// <summary>Faces the detector found in the image or frame.</summary>
    public const string FaceCount = "face_count";
    /// <summary>Which face the row is, 0 = the largest.</summary>
    public const string FaceIndex = "face_index";
    /// <summary>The face box in source pixels.</summary>
    public const string FaceX = "face_x", FaceY = "face_y", FaceWidth = "face_width", FaceHeight = "face_height";
    /// <summary>The detector that found the face ("none": detection off).</summary>
    public const string Detector = "detector";
    /// <summary>The detector's confidence.</summary>
    public const string DetectorScore = "detector_score";
    /// <summary>The predicted class.</summary>
    public const string Label = "label";
    /// <summary>Prefix of the per-class probability columns: <c>score_&lt;class&gt;</c>.</summary>
    public const string ScorePrefix = "score_";
    /// <summary>Predicted valence and arousal (empty where the model's head was not trained).</summary>
    public const string Valence = "valence", Arousal = "arousal";

    /// <summary>The optional five facial points (x, y in source pixels): eye centres, nose tip, mouth corners.</summary>
    public static readonly IReadOnlyList<string> LandmarkColumns =
    [
        "landmark_right_eye_x", "landmark_right_eye_y", "landmark_left_eye_x", "landmark_left_eye_y", "landmark_nose_x", "landmark_nose_y",
        "landmark_mouth_right_x", "landmark_mouth_right_y", "landmark_mouth_left_x", "landmark_mouth_left_y",
    ];

    /// <summary>The shared columns for a model with <paramref name="labels"/>.</summary>
    public static IReadOnlyList<string> Columns(IEnumerable<string> labels) =>
    [
        Status, Error, FaceCount, FaceIndex, FaceX, FaceY, FaceWidth, FaceHeight, Detector, DetectorScore, Label,
        .. labels.Select(l => ScorePrefix + l), Valence, Arousal,
    ];

    /// <summary>
    /// The ML.NET spelling of a column: PascalCase, like ML.NET's own columns (<c>face_index</c> → <c>FaceIndex</c>), so
    /// EdramFer.ML's columns keep these names rather than inventing their own.
    /// </summary>
    public static string PascalCase(string column) =>
        string.Concat(column.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    /// <summary>True for the columns holding numbers (JSON numbers in JSON Lines output).</summary>
    public static bool IsNumeric(string column) =>
        column.StartsWith(ScorePrefix, StringComparison.Ordinal) || column.StartsWith("face_", StringComparison.Ordinal) ||
        column.StartsWith("landmark_", StringComparison.Ordinal) ||
        column is DetectorScore or Valence or Arousal;
}
