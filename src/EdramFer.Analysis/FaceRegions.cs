using EdramFer.ML;
namespace EdramFer.Analysis;

/// <summary>
/// Fixed regions of the aligned square face crop the model sees, for the "eyes vs mouth" comparison of Blais et al.
/// (2017). Every glimpse area is split into five disjoint parts: eyes, mouth, rest of the face (the face box minus
/// eyes and mouth), background (the crop minus the face box) and off-image (zero padding outside the crop).
/// </summary>
/// <param name="Size">side of the crop the rectangles refer to</param>
/// <param name="Eyes">eyes band (both eyes and brows)</param>
/// <param name="Mouth">mouth box</param>
/// <param name="Face">face box; eyes and mouth must lie inside it</param>
public sealed record FaceRegions(int Size, PixelRect Eyes, PixelRect Mouth, PixelRect Face)
{
    /// <summary>Region names in the order of <see cref="RegionShares"/> values.</summary>
    public static readonly IReadOnlyList<string> Names = ["eyes", "mouth", "rest_of_face", "background", "off_image"];

    /// <summary>
    /// Regions of the 100x100 FER2013 crop (48x48 source resized to 100x100, CLAHE; <c>--detector none</c>, as the
    /// shipped model is trained). Measured with YuNet (face_detection_yunet_2023mar, score ≥ 0.6) on the first 150
    /// PublicTest images of each class as the model sees them (895 of 956 detected). Mean landmarks (sd): eyes
    /// (32.0, 37.4) and (67.6, 36.8) (sd ≈ 7–8 px), nose (49.5, 58.6), mouth corners (35.8, 76.1) and (65.3, 75.6)
    /// (sd ≈ 7–8 px); face box x 10.4–90.7, y 2.3–99.7.
    /// Eyes band: x 14–86 (eye centres ± half the inter-eye distance, 18 px), y 25–49 (eye line ± 12 px, brows
    /// included, ≈ ±1.7 sd). Mouth box: x 28–72 (corners ± 8 px, 1 sd), y 66–88 (corner line ± 10 px, room for an open
    /// mouth). Face: the mean YuNet box rounded, x 10–90, y 2–100. <c>RegionsTests</c> re-measures the landmarks.
    /// </summary>
    public static FaceRegions Fer2013 { get; } = new(100,
        Eyes: new PixelRect(14, 25, 72, 24),
        Mouth: new PixelRect(28, 66, 44, 22),
        Face: new PixelRect(10, 2, 80, 98));

    /// <summary>The regions for a crop of another side, scaled from these.</summary>
    public FaceRegions ScaledTo(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "crop side must be >= 1");
        double k = (double)size / Size;
        PixelRect S(PixelRect r) => new(r.X * k, r.Y * k, r.Width * k, r.Height * k);
        return new FaceRegions(size, S(Eyes), S(Mouth), S(Face));
    }

    /// <summary>
    /// How the glimpse's area splits over the regions (fractions summing to 1; all zero for a glimpse of zero area).
    /// Exact for any θ, shear included (<see cref="GlimpseGeometry.IntersectionArea"/>).
    /// </summary>
    public RegionShares Shares(ReadOnlySpan<float> theta, bool alignCorners = false)
    {
        Validate();
        var total = GlimpseGeometry.Area(theta, Size, alignCorners);
        if (!(total > 1e-9)) return new RegionShares(0, 0, 0, 0, 0);
        var image = new PixelRect(0, 0, Size, Size);
        double eyes = GlimpseGeometry.IntersectionArea(theta, Size, Eyes, alignCorners);
        double mouth = GlimpseGeometry.IntersectionArea(theta, Size, Mouth, alignCorners);
        double face = GlimpseGeometry.IntersectionArea(theta, Size, Face, alignCorners);
        double inImage = GlimpseGeometry.IntersectionArea(theta, Size, image, alignCorners);
        // Clamp: clipping rounding can leave -1e-15 where a part is empty.
        static double P(double v, double t) => Math.Clamp(v / t, 0, 1);
        return new RegionShares(P(eyes, total), P(mouth, total), P(face - eyes - mouth, total), P(inImage - face, total), P(total - inImage, total));
    }

    /// <summary>Throws when the eyes and mouth overlap or leave the face, or the face leaves the crop.</summary>
    public void Validate()
    {
        var crop = new PixelRect(0, 0, Size, Size);
        if (Eyes.Intersect(Mouth).Area > 0) throw new InvalidOperationException($"eyes {Eyes} and mouth {Mouth} overlap");
        foreach (var (name, r) in new[] { ("eyes", Eyes), ("mouth", Mouth) })
            if (Math.Abs(r.Intersect(Face).Area - r.Area) > 1e-9) throw new InvalidOperationException($"{name} {r} is not inside the face {Face}");
        if (Math.Abs(Face.Intersect(crop).Area - Face.Area) > 1e-9) throw new InvalidOperationException($"face {Face} is not inside the {Size}x{Size} crop");
    }
}

/// <summary>Fractions of one glimpse's area per region (<see cref="FaceRegions.Names"/> order); they sum to 1.</summary>
public readonly record struct RegionShares(double Eyes, double Mouth, double RestOfFace, double Background, double OffImage)
{
    /// <summary>The five values in <see cref="FaceRegions.Names"/> order.</summary>
    public double[] ToArray() => [Eyes, Mouth, RestOfFace, Background, OffImage];
}
