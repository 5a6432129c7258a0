using EdramFer.ML;
using System.Text.Json.Serialization;
using EdramFer.Analysis;
using EdramFer.Contracts;
using EdramFer.Vision;

namespace EdramFer.Server;

/// <summary>Which model answered: its file name and SHA-256.</summary>
public sealed record ModelRef(string Id, string Sha256);

/// <summary>A rectangle in pixels (continuous coordinates; glimpse boxes may reach past the image).</summary>
public sealed record Box(double X, double Y, double Width, double Height)
{
    /// <summary>Rotation about the box's centre in degrees, clockwise (image y down), for eye-aligned crops; null when upright.</summary>
    public double? Angle { get; init; }
}

/// <summary>The five facial points as [x, y] in image pixels (eye centres as the person sees them, nose tip, mouth corners).</summary>
public sealed record Landmarks(float[] RightEye, float[] LeftEye, float[] Nose, float[] MouthRight, float[] MouthLeft);

/// <summary>One glimpse of the scan path: θ, where it looked in the model's input and in the image, and the prediction after it.</summary>
public sealed record GlimpseStep(int Step, float[] Theta, Box InputBox, Box ImageBox, string Label, float Probability);

/// <summary>One scored face.</summary>
public sealed record FaceResult(
    int FaceIndex,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Box? Box,
    string? Detector,
    float? DetectorScore,
    Landmarks? Landmarks,
    Box Crop,
    string Label,
    IReadOnlyDictionary<string, float> Probabilities,
    float? Valence,
    float? Arousal,
    IReadOnlyList<GlimpseStep> Glimpses);

/// <summary>
/// The answer for one image: status (ok, no_face, error as in <see cref="RowStatus"/>), the faces (largest first)
/// and, for an error, why. <see cref="Model"/> is left out of batch entries (the batch names it once).
/// </summary>
public sealed record ImageResult(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ModelRef? Model,
    string Name,
    string Status,
    string? Error,
    string? Code,
    int FaceCount,
    IReadOnlyList<FaceResult> Faces);

/// <summary>The answer of <c>/v1/analyze/batch</c>: one result per part, in order.</summary>
public sealed record BatchResult(ModelRef Model, IReadOnlyList<ImageResult> Results);

/// <summary>Turns preprocessing results and glimpse traces into the response records.</summary>
internal static class AnalysisResults
{
    /// <summary>The result of an image whose preprocessing gave <paramref name="pre"/> and whose scored faces gave <paramref name="traces"/> (in order).</summary>
    public static ImageResult Build(LoadedModel model, string name, IReadOnlyList<PreprocessResult> pre, IReadOnlyList<GlimpseTrace> traces)
    {
        var first = pre[0];
        var status = first.Status.ToRowStatus();
        if (!first.HasPixels)
            return new ImageResult(null, name, status, first.Message, Problems.ImageCode(first.Status), 0, []);
        var faces = traces.Select((t, i) => Face(model, pre[i], t)).ToList();
        return new ImageResult(null, name, status, null, null, first.Status == PreprocessStatus.Ok ? Math.Max(1, first.FaceCount) : 0, faces);
    }

    /// <summary>A part refused before preprocessing (wrong content type).</summary>
    public static ImageResult Refused(Upload upload) => new(null, upload.Name, RowStatus.Error, upload.RefusedDetail, upload.RefusedCode, 0, []);

    private static FaceResult Face(LoadedModel model, PreprocessResult pre, GlimpseTrace trace)
    {
        var info = model.Info;
        var labels = info.Labels;
        var crop = pre.Crop ?? throw new InvalidOperationException($"{pre.Source}: a scored face without its crop region");
        // As edram score: a fallback crop (no face found) has no face box, detector or score.
        var face = pre.Status == PreprocessStatus.Ok ? pre.Face : null;
        var va = info.HasValenceArousal;
        return new FaceResult(
            pre.FaceIndex,
            RowStatus.Ok,
            face is { } f ? new Box(f.X, f.Y, f.Width, f.Height) : null,
            face is null ? null : DetectorNames.OfFace(face, pre.Detector),
            face?.Score,
            face?.Landmarks is { } l ? new Landmarks([l.RightEyeX, l.RightEyeY], [l.LeftEyeX, l.LeftEyeY], [l.NoseX, l.NoseY],
                [l.MouthRightX, l.MouthRightY], [l.MouthLeftX, l.MouthLeftY]) : null,
            new Box(crop.X, crop.Y, crop.Width, crop.Height) { Angle = Degrees(crop) },
            labels[trace.Predicted],
            labels.Select((label, c) => (label, c)).ToDictionary(x => x.label, x => trace.Probabilities[x.c]),
            va ? trace.ValenceArousal[0] : null,
            va ? trace.ValenceArousal[1] : null,
            Enumerable.Range(0, trace.Steps).Select(t => Step(model, trace, t, crop)).ToList());
    }

    private static GlimpseStep Step(LoadedModel model, GlimpseTrace trace, int t, SourceRegion crop)
    {
        var size = model.Info.InputSize;
        var box = GlimpseGeometry.ToPixelBox(trace.Theta(t), size, model.Scorer.AlignCorners);
        double sx = (double)crop.Width / size, sy = (double)crop.Height / size;
        // The glimpse's centre through the crop's placement (turned for an eye-aligned crop), its size scaled.
        var (cx, cy) = crop.ToImage((box.X + box.Width / 2) / size, (box.Y + box.Height / 2) / size);
        var predicted = trace.PredictedAt(t);
        return new GlimpseStep(t + 1, trace.Theta(t).ToArray(), new Box(box.X, box.Y, box.Width, box.Height),
            new Box(cx - box.Width * sx / 2, cy - box.Height * sy / 2, box.Width * sx, box.Height * sy) { Angle = Degrees(crop) },
            model.Info.Labels[predicted], trace.StepProbabilitiesOf(t)[predicted]);
    }

    private static double? Degrees(SourceRegion crop) => crop.Angle == 0 ? null : crop.Angle * 180 / Math.PI;
}
