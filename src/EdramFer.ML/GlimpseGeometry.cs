namespace EdramFer.ML;

/// <summary>An axis-aligned rectangle in input pixels (continuous coordinates: pixel i spans [i, i+1)).</summary>
/// <param name="X">left edge</param>
/// <param name="Y">top edge</param>
/// <param name="Width">width (0 or more)</param>
/// <param name="Height">height (0 or more)</param>
public readonly record struct PixelRect(double X, double Y, double Width, double Height)
{
    /// <summary>Right edge.</summary>
    public double Right => X + Width;
    /// <summary>Bottom edge.</summary>
    public double Bottom => Y + Height;
    /// <summary>Centre, x.</summary>
    public double CenterX => X + Width / 2;
    /// <summary>Centre, y.</summary>
    public double CenterY => Y + Height / 2;
    /// <summary>Width × height.</summary>
    public double Area => Width * Height;

    /// <summary>The overlap of two rectangles (zero size when they do not overlap).</summary>
    public PixelRect Intersect(PixelRect other)
    {
        double x0 = Math.Max(X, other.X), y0 = Math.Max(Y, other.Y);
        double x1 = Math.Min(Right, other.Right), y1 = Math.Min(Bottom, other.Bottom);
        return x1 > x0 && y1 > y0 ? new PixelRect(x0, y0, x1 - x0, y1 - y0) : new PixelRect(x0, y0, 0, 0);
    }
}

/// <summary>
/// Where a glimpse looks, from its affine θ (PyTorch <c>affine_grid</c> convention, DESIGN §2): θ = (θ00, θ01, θ02,
/// θ10, θ11, θ12) maps a glimpse-grid point (u, v) ∈ [-1, 1]² to the normalised input point
/// (θ00·u + θ01·v + θ02, θ10·u + θ11·v + θ12). The glimpse therefore covers a parallelogram of the input; without
/// shear it is the rectangle of centre ((θ02+1)/2·S, (θ12+1)/2·S) and size (θ00·S, θ11·S).
/// </summary>
/// <remarks>
/// Normalised → pixel: with <c>align_corners = false</c> (the exporter's default, metadata <c>edram.align_corners</c>)
/// -1 and +1 are the outer edges of the image, x_p = (x_n + 1)/2·S; with <c>true</c> they are the centres of the edge
/// pixels, x_p = (x_n + 1)/2·(S − 1) + 0.5.
/// </remarks>
public static class GlimpseGeometry
{
    /// <summary>Values of θ per glimpse.</summary>
    public const int ThetaLength = 6;

    /// <summary>A normalised coordinate in [-1, 1] as a continuous pixel coordinate of an image of side <paramref name="size"/>.</summary>
    public static double ToPixel(double normalised, int size, bool alignCorners = false) =>
        alignCorners ? (normalised + 1) / 2 * (size - 1) + 0.5 : (normalised + 1) / 2 * size;

    /// <summary>Scale from normalised units to pixels (half of the image spans 1 normalised unit).</summary>
    private static double Scale(int size, bool alignCorners) => (alignCorners ? size - 1 : size) / 2.0;

    /// <summary>The four corners of the glimpse in input pixels, in drawing order: (u,v) = (-1,-1), (1,-1), (1,1), (-1,1).</summary>
    public static (double X, double Y)[] Corners(ReadOnlySpan<float> theta, int size, bool alignCorners = false)
    {
        CheckTheta(theta);
        var corners = new (double, double)[4];
        ReadOnlySpan<(int U, int V)> uv = [(-1, -1), (1, -1), (1, 1), (-1, 1)];
        for (var i = 0; i < 4; i++)
        {
            double xn = theta[0] * uv[i].U + theta[1] * uv[i].V + theta[2];
            double yn = theta[3] * uv[i].U + theta[4] * uv[i].V + theta[5];
            corners[i] = (ToPixel(xn, size, alignCorners), ToPixel(yn, size, alignCorners));
        }
        return corners;
    }

    /// <summary>
    /// The axis-aligned bounding box of the glimpse in input pixels. Without shear (θ01 = θ10 = 0) and with positive
    /// zoom this is exactly the glimpse: centre ((θ02+1)/2·S, (θ12+1)/2·S), size (θ00·S, θ11·S) — the same as
    /// <c>EdramFer.Training.Model.GlimpseSensor.ToPixelBox</c>. It may extend beyond the image.
    /// </summary>
    public static PixelRect ToPixelBox(ReadOnlySpan<float> theta, int size, bool alignCorners = false)
    {
        var c = Corners(theta, size, alignCorners);
        double x0 = c.Min(p => p.X), x1 = c.Max(p => p.X), y0 = c.Min(p => p.Y), y1 = c.Max(p => p.Y);
        return new PixelRect(x0, y0, x1 - x0, y1 - y0);
    }

    /// <summary>Centre of the glimpse in input pixels (θ02, θ12 mapped to pixels).</summary>
    public static (double X, double Y) Center(ReadOnlySpan<float> theta, int size, bool alignCorners = false)
    {
        CheckTheta(theta);
        return (ToPixel(theta[2], size, alignCorners), ToPixel(theta[5], size, alignCorners));
    }

    /// <summary>Area of the glimpse in square pixels: |det| of the 2x2 part × (S/2)² × 4.</summary>
    public static double Area(ReadOnlySpan<float> theta, int size, bool alignCorners = false)
    {
        CheckTheta(theta);
        var s = Scale(size, alignCorners);
        return Math.Abs((double)theta[0] * theta[4] - (double)theta[1] * theta[3]) * 4 * s * s;
    }

    /// <summary>
    /// Exact area (square pixels) of the part of the glimpse inside <paramref name="region"/>: the parallelogram is
    /// clipped against the rectangle (Sutherland–Hodgman) and measured with the shoelace formula, so shear is handled.
    /// </summary>
    public static double IntersectionArea(ReadOnlySpan<float> theta, int size, PixelRect region, bool alignCorners = false)
    {
        var polygon = new List<(double X, double Y)>(Corners(theta, size, alignCorners));
        polygon = Clip(polygon, p => p.X >= region.X, (a, b) => AtX(a, b, region.X));
        polygon = Clip(polygon, p => p.X <= region.Right, (a, b) => AtX(a, b, region.Right));
        polygon = Clip(polygon, p => p.Y >= region.Y, (a, b) => AtY(a, b, region.Y));
        polygon = Clip(polygon, p => p.Y <= region.Bottom, (a, b) => AtY(a, b, region.Bottom));
        return ShoelaceArea(polygon);
    }

    /// <summary>
    /// Adds <paramref name="weight"/> to every pixel of the row-major <paramref name="map"/> (size × size) whose centre
    /// lies inside the glimpse. Pixel centres are mapped back through θ⁻¹; a degenerate θ (zero area) adds nothing.
    /// </summary>
    public static void AddCoverage(ReadOnlySpan<float> theta, int size, Span<float> map, float weight = 1f, bool alignCorners = false)
    {
        CheckTheta(theta);
        if (map.Length != size * size) throw new ArgumentException($"map has {map.Length} values, expected {size}x{size} = {size * size}", nameof(map));
        double a = theta[0], b = theta[1], c = theta[3], d = theta[4];
        var det = a * d - b * c;
        if (Math.Abs(det) < 1e-12 || !double.IsFinite(det)) return;
        var scale = Scale(size, alignCorners);
        var offset = alignCorners ? 0.5 : 0.0;
        // Only the bounding box can be covered: scan it, not the whole image.
        var box = ToPixelBox(theta, size, alignCorners);
        int x0 = Math.Max(0, (int)Math.Floor(box.X)), x1 = Math.Min(size - 1, (int)Math.Ceiling(box.Right));
        int y0 = Math.Max(0, (int)Math.Floor(box.Y)), y1 = Math.Min(size - 1, (int)Math.Ceiling(box.Bottom));
        for (var y = y0; y <= y1; y++)
        {
            var yn = (y + 0.5 - offset) / scale - 1 - theta[5];
            for (var x = x0; x <= x1; x++)
            {
                var xn = (x + 0.5 - offset) / scale - 1 - theta[2];
                // (u, v) = A⁻¹ (p − t)
                var u = (d * xn - b * yn) / det;
                var v = (-c * xn + a * yn) / det;
                if (u is >= -1 and <= 1 && v is >= -1 and <= 1) map[y * size + x] += weight;
            }
        }
    }

    private static void CheckTheta(ReadOnlySpan<float> theta)
    {
        if (theta.Length != ThetaLength) throw new ArgumentException($"θ has {theta.Length} values, expected {ThetaLength} (θ00, θ01, θ02, θ10, θ11, θ12)", nameof(theta));
    }

    private static (double X, double Y) AtX((double X, double Y) a, (double X, double Y) b, double x) =>
        (x, a.Y + (b.Y - a.Y) * (x - a.X) / (b.X - a.X));

    private static (double X, double Y) AtY((double X, double Y) a, (double X, double Y) b, double y) =>
        (a.X + (b.X - a.X) * (y - a.Y) / (b.Y - a.Y), y);

    /// <summary>One Sutherland–Hodgman pass against a half-plane.</summary>
    private static List<(double X, double Y)> Clip(List<(double X, double Y)> polygon, Func<(double X, double Y), bool> inside,
        Func<(double X, double Y), (double X, double Y), (double X, double Y)> cross)
    {
        var result = new List<(double X, double Y)>(polygon.Count + 4);
        for (var i = 0; i < polygon.Count; i++)
        {
            var current = polygon[i];
            var previous = polygon[(i + polygon.Count - 1) % polygon.Count];
            bool inCurrent = inside(current), inPrevious = inside(previous);
            if (inCurrent)
            {
                if (!inPrevious) result.Add(cross(previous, current));
                result.Add(current);
            }
            else if (inPrevious) result.Add(cross(previous, current));
        }
        return result;
    }

    private static double ShoelaceArea(List<(double X, double Y)> polygon)
    {
        if (polygon.Count < 3) return 0;
        double twice = 0;
        for (var i = 0; i < polygon.Count; i++)
        {
            var (x0, y0) = polygon[i];
            var (x1, y1) = polygon[(i + 1) % polygon.Count];
            twice += x0 * y1 - x1 * y0;
        }
        return Math.Abs(twice) / 2;
    }
}
