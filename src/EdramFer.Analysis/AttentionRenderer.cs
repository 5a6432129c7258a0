using EdramFer.ML;
using System.Globalization;
using OpenCvSharp;

namespace EdramFer.Analysis;

/// <summary>
/// Draws the attention figures with OpenCV: the heat-map grid over the class mean faces (the paper's Fig. 3), one
/// larger all-steps heat map per class, the first-glimpse scatter, the region-share bars and the scan path of one
/// image (the paper's Fig. 4). Every figure has a title, axis or row/column labels and class names.
/// </summary>
public static class AttentionRenderer
{
    /// <summary>Colour map of the heat maps (perceptually ordered; dark = rarely covered).</summary>
    public const ColormapTypes HeatColormap = ColormapTypes.Inferno;

    /// <summary>
    /// Rows = classes, columns = steps 1..T and "all steps"; each cell the class's mean face with the share of images
    /// whose glimpse covers each pixel blended on top, one colour scale (bar at the right) for the whole grid.
    /// </summary>
    public static Mat HeatmapGrid(AttentionSummary s, string title, int cell = 150)
    {
        int c = s.Labels.Count, cols = s.Steps + 1;
        const int left = 150, top = 86, barWidth = 120;
        int width = left + cols * cell + barWidth, height = top + c * cell + 40;
        var image = new Mat(new Size(width, height), MatType.CV_8UC3, Charts.White);
        Charts.Title(image, title, width / 2, 30, width - 20, 0.7);
        var max = s.Heat.SelectMany(h => h).SelectMany(m => m).Concat(s.HeatAllSteps.SelectMany(m => m)).DefaultIfEmpty(0).Max();
        if (!(max > 0)) max = 1;
        for (var t = 0; t < cols; t++)
            Charts.Centered(image, t < s.Steps ? $"step {t + 1}" : "all steps", left + t * cell + cell / 2, top - 12, 0.55, t < s.Steps ? 1 : 2);
        for (var k = 0; k < c; k++)
        {
            var y = top + k * cell;
            Cv2.PutText(image, s.Labels[k], new Point(10, y + cell / 2), Charts.Font, 0.6, Charts.Black, 2, LineTypes.AntiAlias);
            Cv2.PutText(image, $"n = {s.ImageCount[k]}", new Point(10, y + cell / 2 + 24), Charts.Font, 0.45, Charts.DarkGrey, 1, LineTypes.AntiAlias);
            for (var t = 0; t < cols; t++)
            {
                using var tile = Overlay(s.MeanFace[k], t < s.Steps ? s.Heat[k][t] : s.HeatAllSteps[k], s.Size, max, cell);
                using var roi = image[new Rect(left + t * cell, y, cell, cell)];
                tile.CopyTo(roi);
            }
        }
        ColourBar(image, new Rect(left + cols * cell + 24, top, 20, c * cell), max, "share of images");
        return image;
    }

    /// <summary>One class's all-steps heat map, large, with a colour bar and the outlines of the fixed face regions.</summary>
    public static Mat ClassHeatmap(AttentionSummary s, int label, string title, int side = 400)
    {
        const int top = 60, barSpace = 130;
        var image = new Mat(new Size(side + barSpace + 20, side + top + 40), MatType.CV_8UC3, Charts.White);
        Charts.Title(image, title, image.Width / 2, 34, image.Width - 20, 0.6);
        var max = s.HeatAllSteps[label].DefaultIfEmpty(0).Max();
        if (!(max > 0)) max = 1;
        using (var tile = Overlay(s.MeanFace[label], s.HeatAllSteps[label], s.Size, max, side))
        {
            // The fixed regions of the region shares, so the "eyes vs mouth" numbers can be read against the map.
            var k = (double)side / s.Size;
            foreach (var (name, r) in new[] { ("eyes", s.Regions.Eyes), ("mouth", s.Regions.Mouth), ("face", s.Regions.Face) })
            {
                var rect = new Rect((int)Math.Round(r.X * k), (int)Math.Round(r.Y * k), (int)Math.Round(r.Width * k), (int)Math.Round(r.Height * k));
                Cv2.Rectangle(tile, rect, name == "face" ? Charts.Grey : Charts.White, 1, LineTypes.AntiAlias);
                Cv2.PutText(tile, name, new Point(rect.X + 3, rect.Y + 14), Charts.Font, 0.42, Charts.White, 1, LineTypes.AntiAlias);
            }
            using var roi = image[new Rect(10, top, side, side)];
            tile.CopyTo(roi);
        }
        ColourBar(image, new Rect(side + 30, top, 20, side), max, "share per glimpse");
        return image;
    }

    /// <summary>First-glimpse centres over the mean face of all images, one colour per class, class means as crosses.</summary>
    public static Mat FirstGlimpseScatter(AttentionSummary s, string title)
    {
        var groups = Enumerable.Range(0, s.Labels.Count).Select(k =>
        {
            var mine = s.FirstGlimpses.Where(g => g.Label == k).ToList();
            return new Series($"{s.Labels[k]} ({mine.Count})", mine.Select(g => g.X).ToList(), mine.Select(g => g.Y).ToList());
        }).ToList();
        using var background = MeanOfAll(s);
        var stats = s.FirstGlimpseStats;
        var subtitle = string.Create(CultureInfo.InvariantCulture,
            $"{title} - inter-class var {stats.InterClassVariance:0.##} px2, intra-class (pooled) {stats.PooledIntraClassVariance:0.##} px2");
        return Charts.Scatter(subtitle, "x (px of the crop)", "y (px of the crop)", groups, (0, s.Size), (0, s.Size), yDown: true, background: background,
            width: 900, height: 760);
    }

    /// <summary>Mean share of glimpse area per region, grouped by class (all steps).</summary>
    public static Mat RegionBars(AttentionSummary s, string title)
    {
        var series = FaceRegions.Names.Select((name, r) => (name.Replace('_', ' '), (IReadOnlyList<double>)s.Labels.Select((_, k) => s.RegionSharesAllSteps[k][r]).ToList())).ToList();
        return Charts.Bars(title, "mean share of glimpse area", s.Labels, series, 0, 1, "0.00", width: 1100, height: 520);
    }

    /// <summary>
    /// The scan path of one image (the paper's Fig. 4): the crop enlarged, every glimpse drawn in order (numbered,
    /// arrows between centres), and at the right the prediction after each step.
    /// </summary>
    public static Mat Scanpath(GlimpseTrace trace, IReadOnlyList<string> labels, string title, bool alignCorners = false, int side = 420)
    {
        int size = (int)Math.Round(Math.Sqrt(trace.Pixels.Length));
        // A margin around the crop shows glimpses that reach past it (zero padding in the model); drawing happens on a
        // separate view so glimpses further out are clipped at its border instead of crossing the title or the table.
        const int margin = 70, panel = 360, titleHeight = 50;
        int viewSide = side + 2 * margin, top = titleHeight + margin, left = margin;
        var image = new Mat(new Size(viewSide + panel, Math.Max(viewSide, 2 * margin + 60 + 26 * (trace.Steps + 3)) + titleHeight), MatType.CV_8UC3, Charts.White);
        Charts.Title(image, title, image.Width / 2, 32, image.Width - 20, 0.6);
        using (var view = new Mat(new Size(viewSide, viewSide), MatType.CV_8UC3, new Scalar(240, 240, 240)))
        {
            using (var grey = Mat.FromPixelData(size, size, MatType.CV_8UC1, trace.Pixels))
            using (var big = new Mat())
            using (var bgr = new Mat())
            {
                Cv2.Resize(grey, big, new Size(side, side), 0, 0, InterpolationFlags.Cubic);
                Cv2.CvtColor(big, bgr, ColorConversionCodes.GRAY2BGR);
                using var roi = view[new Rect(margin, margin, side, side)];
                bgr.CopyTo(roi);
            }
            var k = (double)side / size;
            Point ToView((double X, double Y) p) => new((int)Math.Round(margin + p.X * k), (int)Math.Round(margin + p.Y * k));
            Point? previous = null;
            for (var t = 0; t < trace.Steps; t++)
            {
                var colour = Charts.Palette[t % Charts.Palette.Count];
                var corners = GlimpseGeometry.Corners(trace.Theta(t), size, alignCorners).Select(ToView).ToArray();
                Cv2.Polylines(view, [corners], true, colour, 2, LineTypes.AntiAlias);
                var centre = ToView(GlimpseGeometry.Center(trace.Theta(t), size, alignCorners));
                if (previous is { } p) Cv2.ArrowedLine(view, p, centre, colour, 2, LineTypes.AntiAlias, 0, 0.08);
                Cv2.Circle(view, centre, 11, colour, -1, LineTypes.AntiAlias);
                Charts.Centered(view, (t + 1).ToString(CultureInfo.InvariantCulture), centre.X, centre.Y + 5, 0.45, 1, Charts.White);
                previous = centre;
            }
            using var target = image[new Rect(0, titleHeight, viewSide, viewSide)];
            view.CopyTo(target);
        }
        var x = left + side + margin + 10;
        Cv2.PutText(image, "step  prediction (p)", new Point(x, top + 16), Charts.Font, 0.55, Charts.Black, 2, LineTypes.AntiAlias);
        for (var t = 0; t < trace.Steps; t++)
        {
            var y = top + 46 + t * 26;
            Cv2.Rectangle(image, new Rect(x, y - 13, 16, 16), Charts.Palette[t % Charts.Palette.Count], -1);
            var pred = trace.PredictedAt(t);
            var text = pred < 0 ? $"{t + 1}  (no prediction)"
                : string.Create(CultureInfo.InvariantCulture, $"{t + 1}  {labels[pred]} ({trace.StepProbabilitiesOf(t)[pred]:0.00})");
            Cv2.PutText(image, text, new Point(x + 24, y), Charts.Font, 0.55, Charts.Black, 1, LineTypes.AntiAlias);
        }
        var final = trace.Predicted;
        var finalText = final < 0 ? "final: (no prediction)" : string.Create(CultureInfo.InvariantCulture, $"final: {labels[final]} ({trace.Probabilities[final]:0.00})");
        Cv2.PutText(image, finalText, new Point(x, top + 46 + trace.Steps * 26 + 12), Charts.Font, 0.6, Charts.Black, 2, LineTypes.AntiAlias);
        return image;
    }

    /// <summary>Mean face (grey) with the heat map blended on top, resized to <paramref name="side"/>².</summary>
    private static Mat Overlay(float[] face, float[] heat, int size, double max, int side)
    {
        using var faceMat = Mat.FromPixelData(size, size, MatType.CV_32FC1, face);
        using var face8 = new Mat();
        faceMat.ConvertTo(face8, MatType.CV_8UC1);
        using var heatMat = Mat.FromPixelData(size, size, MatType.CV_32FC1, heat);
        using var heat8 = new Mat();
        heatMat.ConvertTo(heat8, MatType.CV_8UC1, 255.0 / max);
        using var coloured = new Mat();
        Cv2.ApplyColorMap(heat8, coloured, HeatColormap);
        using var faceBgr = new Mat();
        Cv2.CvtColor(face8, faceBgr, ColorConversionCodes.GRAY2BGR);
        using var blended = new Mat();
        Cv2.AddWeighted(faceBgr, 0.45, coloured, 0.55, 0, blended); // the face stays visible under the heat
        var result = new Mat();
        Cv2.Resize(blended, result, new Size(side, side), 0, 0, InterpolationFlags.Nearest);
        return result;
    }

    private static void ColourBar(Mat image, Rect bar, double max, string label)
    {
        using var ramp = new Mat(bar.Height, 1, MatType.CV_8UC1);
        for (var i = 0; i < bar.Height; i++) ramp.Set(i, 0, (byte)Math.Round(255.0 * (bar.Height - 1 - i) / Math.Max(1, bar.Height - 1)));
        using var coloured = new Mat();
        Cv2.ApplyColorMap(ramp, coloured, HeatColormap);
        using var wide = new Mat();
        Cv2.Resize(coloured, wide, bar.Size, 0, 0, InterpolationFlags.Nearest);
        using (var roi = image[bar]) wide.CopyTo(roi);
        Cv2.Rectangle(image, bar, Charts.DarkGrey, 1);
        var ticks = Charts.Ticks(0, max, 5);
        var step = ticks.Length > 1 ? ticks[1] - ticks[0] : max;
        foreach (var v in ticks.Where(v => v <= max + 1e-12))
        {
            var y = bar.Bottom - (int)Math.Round(v / max * bar.Height);
            Cv2.Line(image, new Point(bar.Right, y), new Point(bar.Right + 5, y), Charts.Black, 1);
            Cv2.PutText(image, Charts.TickText(v, step), new Point(bar.Right + 8, y + 5), Charts.Font, 0.42, Charts.Black, 1, LineTypes.AntiAlias);
        }
        Cv2.PutText(image, label, new Point(bar.X - 10, bar.Bottom + 22), Charts.Font, 0.42, Charts.Black, 1, LineTypes.AntiAlias);
    }

    private static Mat MeanOfAll(AttentionSummary s)
    {
        var px = s.Size * s.Size;
        var total = s.TotalImages;
        var mean = new float[px];
        for (var k = 0; k < s.Labels.Count; k++)
            for (var i = 0; i < px; i++) mean[i] += total == 0 ? 0 : s.MeanFace[k][i] * s.ImageCount[k] / total;
        using var m = Mat.FromPixelData(s.Size, s.Size, MatType.CV_32FC1, mean);
        var result = new Mat();
        m.ConvertTo(result, MatType.CV_8UC1);
        return result;
    }
}
