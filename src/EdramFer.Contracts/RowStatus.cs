namespace EdramFer.Contracts;

/// <summary>
/// The <c>status</c> column every scoring output shares (score, evaluate, video): <see cref="Ok"/> (scored),
/// <see cref="NoFace"/> (no face found: no label, no scores), <see cref="Uncertain"/> (scored, but below the asked
/// confidence: scores kept, no label) or <see cref="Error"/> (the input could not be read).
/// </summary>
public static class RowStatus
{
    /// <summary>Scored: a detected face, a crop given as input, or the explicit no-face fallback crop.</summary>
    public const string Ok = "ok";
    /// <summary>No detector found a face and the policy rejects such images: no label and no scores.</summary>
    public const string NoFace = "no_face";
    /// <summary>Scored, but the top probability is below the confidence asked for (<c>--min-confidence</c>): scores kept, no label.</summary>
    public const string Uncertain = "uncertain";
    /// <summary>The image (or video) could not be read or processed; the error column says why.</summary>
    public const string Error = "error";
}
