using System.Globalization;
using OpenCvSharp;

namespace EdramFer.Analysis;

/// <summary>One named series of a chart.</summary>
/// <param name="Name">legend text</param>
/// <param name="X">x values</param>
/// <param name="Y">y values (NaN values are skipped)</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// Small, readable charts drawn with OpenCV (titles, labelled axes with ticks, legends), returned as BGR <see cref="Mat"/>s
/// or PNG bytes. OpenCV rather than ScottPlot: ScottPlot 5 needs SkiaSharp 3, ML.NET's ImageAnalytics loads SkiaSharp 2.88,
/// and the two cannot share a process; OpenCV is already loaded for preprocessing.
/// </summary>
public static class Charts
{
    /// <summary>Tableau-10 colours (BGR), distinguishable and colour-blind-friendlier than OpenCV's primaries.</summary>
    public static readonly IReadOnlyList<Scalar> Palette =
    [
        new(180, 119, 31), new(14, 127, 255), new(44, 160, 44), new(40, 39, 214), new(189, 103, 148),
        new(75, 86, 140), new(194, 119, 227), new(127, 127, 127), new(34, 189, 188), new(207, 190, 23),
    ];

    internal static readonly Scalar Black = Scalar.All(0), White = Scalar.All(255), Grey = Scalar.All(200), DarkGrey = Scalar.All(90);
    internal const HersheyFonts Font = HersheyFonts.HersheySimplex;

    /// <summary>Encodes a chart as PNG.</summary>
    public static byte[] ToPng(Mat image)
    {
        Cv2.ImEncode(".png", image, out var bytes);
        return bytes;
    }

    /// <summary>Writes a chart as PNG, creating the folder.</summary>
    public static void Save(Mat image, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        if (!Cv2.ImWrite(path, image)) throw new IOException($"OpenCV could not write '{path}'");
    }

    /// <summary>An HTML &lt;img&gt; with the PNG inline (base64): what notebooks display.</summary>
    public static string ToHtmlImage(Mat image, string alt) =>
        $"<img alt=\"{System.Net.WebUtility.HtmlEncode(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(ToPng(image))}\" />";

    /// <summary>Line chart with markers.</summary>
    public static Mat Lines(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, double? yMin = null, double? yMax = null,
        int width = 820, int height = 480)
    {
        if (series.Count == 0) throw new ArgumentException("at least one series", nameof(series));
        var xs = series.SelectMany(s => s.X).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var ys = series.SelectMany(s => s.Y).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var frame = new Frame(width, height, title, xLabel, yLabel, (xs.Min(), xs.Max()), (yMin ?? ys.Min(), yMax ?? ys.Max()), series.Select(s => s.Name).ToList());
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var colour = Palette[i % Palette.Count];
            Point? last = null;
            for (var j = 0; j < Math.Min(s.X.Count, s.Y.Count); j++)
            {
                if (!double.IsFinite(s.X[j]) || !double.IsFinite(s.Y[j])) { last = null; continue; }
                var p = frame.Map(s.X[j], s.Y[j]);
                if (last is { } q) Cv2.Line(frame.Image, q, p, colour, 2, LineTypes.AntiAlias);
                Cv2.Circle(frame.Image, p, 3, colour, -1, LineTypes.AntiAlias);
                last = p;
            }
        }
        frame.Legend(series.Select(s => s.Name).ToList());
        return frame.Image;
    }

    /// <summary>Grouped bar chart: one group per category, one bar per series; values printed above the bars.</summary>
    public static Mat Bars(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series,
        double yMin = 0, double? yMax = null, string valueFormat = "0.##", int width = 820, int height = 480)
    {
        if (categories.Count == 0 || series.Count == 0) throw new ArgumentException("at least one category and one series");
        var top = yMax ?? Math.Max(yMin + 1e-9, series.SelectMany(s => s.Values).Where(double.IsFinite).DefaultIfEmpty(1).Max() * 1.1);
        var frame = new Frame(width, height, title, "", yLabel, (-0.5, categories.Count - 0.5), (yMin, top), series.Select(s => s.Name).ToList(), categories);
        var groupWidth = 0.8 / series.Count;
        for (var i = 0; i < series.Count; i++)
        {
            var colour = Palette[i % Palette.Count];
            for (var c = 0; c < categories.Count && c < series[i].Values.Count; c++)
            {
                var v = series[i].Values[c];
                if (!double.IsFinite(v)) continue;
                var x0 = c - 0.4 + i * groupWidth;
                var a = frame.Map(x0, Math.Max(yMin, Math.Min(v, top)));
                var b = frame.Map(x0 + groupWidth * 0.9, yMin);
                Cv2.Rectangle(frame.Image, new Rect(a.X, a.Y, Math.Max(1, b.X - a.X), Math.Max(1, b.Y - a.Y)), colour, -1);
                var text = v.ToString(valueFormat, CultureInfo.InvariantCulture);
                var scale = series.Count > 2 ? 0.35 : 0.45;
                var size = Cv2.GetTextSize(text, Font, scale, 1, out _);
                Cv2.PutText(frame.Image, text, new Point(a.X + (b.X - a.X - size.Width) / 2, a.Y - 4), Font, scale, Black, 1, LineTypes.AntiAlias);
            }
        }
        if (series.Count > 1 || series[0].Name.Length > 0) frame.Legend(series.Select(s => s.Name).ToList());
        return frame.Image;
    }

    /// <summary>Scatter plot; each group one colour, its mean marked with a cross. Optional grey background image fills the plot area.</summary>
    public static Mat Scatter(string title, string xLabel, string yLabel, IReadOnlyList<Series> groups, (double Min, double Max) xRange, (double Min, double Max) yRange,
        bool yDown = false, Mat? background = null, int width = 820, int height = 720, bool markMeans = true)
    {
        var frame = new Frame(width, height, title, xLabel, yLabel, xRange, yRange, groups.Select(g => g.Name).ToList(), yDown: yDown);
        if (background is not null) frame.Fill(background);
        for (var i = 0; i < groups.Count; i++)
        {
            var colour = Palette[i % Palette.Count];
            var g = groups[i];
            for (var j = 0; j < Math.Min(g.X.Count, g.Y.Count); j++)
                if (double.IsFinite(g.X[j]) && double.IsFinite(g.Y[j]))
                    Cv2.Circle(frame.Image, frame.Map(g.X[j], g.Y[j]), 3, colour, -1, LineTypes.AntiAlias);
        }
        if (markMeans)
            for (var i = 0; i < groups.Count; i++)
            {
                var g = groups[i];
                var pts = Enumerable.Range(0, Math.Min(g.X.Count, g.Y.Count)).Where(j => double.IsFinite(g.X[j]) && double.IsFinite(g.Y[j])).ToList();
                if (pts.Count == 0) continue;
                var m = frame.Map(pts.Average(j => g.X[j]), pts.Average(j => g.Y[j]));
                Cv2.DrawMarker(frame.Image, m, White, MarkerTypes.Cross, 18, 5, LineTypes.AntiAlias);
                Cv2.DrawMarker(frame.Image, m, Palette[i % Palette.Count], MarkerTypes.Cross, 16, 2, LineTypes.AntiAlias);
            }
        frame.Legend(groups.Select(g => g.Name).ToList());
        return frame.Image;
    }

    /// <summary>
    /// A matrix as coloured cells with the value printed in each (confusion matrices): rows and columns labelled,
    /// colour from white (0) to blue (the largest value, or <paramref name="maxValue"/>).
    /// </summary>
    public static Mat Matrix(string title, string rowAxis, string columnAxis, IReadOnlyList<string> rows, IReadOnlyList<string> columns, double[][] values,
        string valueFormat = "0.##", double? maxValue = null, int cell = 72)
    {
        if (values.Length != rows.Count || values.Any(r => r.Length != columns.Count))
            throw new ArgumentException($"values must be {rows.Count} x {columns.Count}", nameof(values));
        var rowLabelWidth = rows.Select(r => Cv2.GetTextSize(r, Font, 0.5, 1, out _).Width).DefaultIfEmpty(0).Max() + 40;
        int left = rowLabelWidth, topMargin = 110, w = left + columns.Count * cell + 20, h = topMargin + rows.Count * cell + 20;
        var image = new Mat(new Size(w, h), MatType.CV_8UC3, White);
        Title(image, title, w / 2, 28, w - 20, 0.7);
        Centered(image, columnAxis, left + columns.Count * cell / 2, 56, 0.55, 1);
        var max = maxValue ?? values.SelectMany(r => r).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        if (!(max > 0)) max = 1;
        for (var c = 0; c < columns.Count; c++) Centered(image, columns[c], left + c * cell + cell / 2, topMargin - 12, 0.45, 1);
        for (var r = 0; r < rows.Count; r++)
        {
            var y = topMargin + r * cell;
            var size = Cv2.GetTextSize(rows[r], Font, 0.5, 1, out _);
            Cv2.PutText(image, rows[r], new Point(left - 8 - size.Width, y + cell / 2 + 5), Font, 0.5, Black, 1, LineTypes.AntiAlias);
            for (var c = 0; c < columns.Count; c++)
            {
                var v = values[r][c];
                var t = double.IsFinite(v) ? Math.Clamp(v / max, 0, 1) : 0;
                var colour = new Scalar(255 - t * (255 - 140), 255 - t * (255 - 60), 255 - t * (255 - 20)); // white → dark blue (BGR)
                var rect = new Rect(left + c * cell, y, cell, cell);
                Cv2.Rectangle(image, rect, colour, -1);
                Cv2.Rectangle(image, rect, Grey, 1);
                var text = double.IsFinite(v) ? v.ToString(valueFormat, CultureInfo.InvariantCulture) : "-";
                Centered(image, text, rect.X + cell / 2, rect.Y + cell / 2 + 6, 0.5, 1, t > 0.55 ? White : Black);
            }
        }
        // The row axis name, written vertically along the left edge.
        using var label = new Mat(new Size(rows.Count * cell, 24), MatType.CV_8UC3, White);
        Centered(label, rowAxis, label.Width / 2, 17, 0.55, 1);
        using var turned = new Mat();
        Cv2.Rotate(label, turned, RotateFlags.Rotate90Counterclockwise);
        using (var roi = image[new Rect(2, topMargin, turned.Width, turned.Height)]) turned.CopyTo(roi);
        return image;
    }

    /// <summary>Text centred on x with its baseline at y.</summary>
    internal static void Centered(Mat image, string text, int x, int y, double scale, int thickness, Scalar? colour = null)
    {
        if (string.IsNullOrEmpty(text)) return; // OpenCvSharp rejects empty text
        var size = Cv2.GetTextSize(text, Font, scale, thickness, out _);
        Cv2.PutText(image, text, new Point(x - size.Width / 2, y), Font, scale, colour ?? Black, thickness, LineTypes.AntiAlias);
    }

    /// <summary>A title centred on x, shrunk until it fits in <paramref name="maxWidth"/> pixels.</summary>
    internal static void Title(Mat image, string text, int x, int y, int maxWidth, double scale = 0.65)
    {
        if (string.IsNullOrEmpty(text)) return;
        while (scale > 0.35 && Cv2.GetTextSize(text, Font, scale, 2, out _).Width > maxWidth) scale -= 0.05;
        Centered(image, text, x, y, scale, scale >= 0.5 ? 2 : 1);
    }

    /// <summary>1, 2 or 5 × 10^k steps giving about <paramref name="target"/> ticks.</summary>
    internal static double[] Ticks(double min, double max, int target = 6)
    {
        if (!(max > min)) { min -= 0.5; max += 0.5; }
        var raw = (max - min) / target;
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 5, 10 }.Select(m => m * mag).First(s => s >= raw);
        var first = Math.Ceiling(min / step - 1e-9) * step;
        var ticks = new List<double>();
        for (var v = first; v <= max + step * 1e-6; v += step) ticks.Add(Math.Abs(v) < step * 1e-9 ? 0 : v);
        return ticks.ToArray();
    }

    internal static string TickText(double v, double step) =>
        v.ToString(step >= 1 ? "0" : step >= 0.1 ? "0.0" : step >= 0.01 ? "0.00" : "0.000", CultureInfo.InvariantCulture);

    /// <summary>A white canvas with title, axes, ticks and axis labels, and a map from data to pixel coordinates.</summary>
    private sealed class Frame
    {
        private const int Left = 84, Top = 56, Bottom = 70;
        private readonly double _x0, _x1, _y0, _y1;
        private readonly bool _yDown;

        public Frame(int width, int height, string title, string xLabel, string yLabel, (double Min, double Max) x, (double Min, double Max) y,
            IReadOnlyList<string> legend, IReadOnlyList<string>? categories = null, bool yDown = false)
        {
            // The legend sits right of the plot: as wide as its longest entry, the plot gets the rest.
            var legendWidth = legend.Where(n => n.Length > 0).Select(n => Cv2.GetTextSize(n, Font, 0.48, 1, out _).Width).DefaultIfEmpty(0).Max();
            var right = Math.Min(width / 2, legendWidth + 56);
            Image = new Mat(new Size(width, height), MatType.CV_8UC3, White);
            _yDown = yDown;
            (_x0, _x1) = x.Max > x.Min ? x : (x.Min - 0.5, x.Max + 0.5);
            (_y0, _y1) = y.Max > y.Min ? y : (y.Min - 0.5, y.Max + 0.5);
            Plot = new Rect(Left, Top, width - Left - right, height - Top - Bottom);
            Title(Image, title, width / 2, 32, width - 20);
            if (categories is null)
            {
                var xt = Ticks(_x0, _x1);
                var xs = xt.Length > 1 ? xt[1] - xt[0] : 1;
                foreach (var t in xt)
                {
                    var p = Map(t, _yDown ? _y1 : _y0);
                    Cv2.Line(Image, new Point(p.X, Plot.Top), new Point(p.X, Plot.Bottom), new Scalar(235, 235, 235), 1);
                    Centered(Image, TickText(t, xs), p.X, Plot.Bottom + 20, 0.45, 1);
                }
            }
            else
                for (var c = 0; c < categories.Count; c++)
                    Centered(Image, categories[c], Map(c, _y0).X, Plot.Bottom + 20, 0.45, 1);
            var yt = Ticks(_y0, _y1);
            var ys = yt.Length > 1 ? yt[1] - yt[0] : 1;
            foreach (var t in yt)
            {
                var p = Map(_x0, t);
                Cv2.Line(Image, new Point(Plot.Left, p.Y), new Point(Plot.Right, p.Y), new Scalar(235, 235, 235), 1);
                var text = TickText(t, ys);
                var size = Cv2.GetTextSize(text, Font, 0.45, 1, out _);
                Cv2.PutText(Image, text, new Point(Plot.Left - 8 - size.Width, p.Y + 5), Font, 0.45, Black, 1, LineTypes.AntiAlias);
            }
            Cv2.Rectangle(Image, Plot, DarkGrey, 1);
            Centered(Image, xLabel, Plot.Left + Plot.Width / 2, height - 22, 0.55, 1);
            using var label = new Mat(new Size(Plot.Height, 24), MatType.CV_8UC3, White);
            Centered(label, yLabel, label.Width / 2, 17, 0.55, 1);
            using var turned = new Mat();
            Cv2.Rotate(label, turned, RotateFlags.Rotate90Counterclockwise);
            using var roi = Image[new Rect(8, Plot.Top, turned.Width, turned.Height)];
            turned.CopyTo(roi);
        }

        public Mat Image { get; }
        public Rect Plot { get; }

        public Point Map(double x, double y)
        {
            var px = Plot.Left + (x - _x0) / (_x1 - _x0) * Plot.Width;
            var fy = (y - _y0) / (_y1 - _y0);
            var py = _yDown ? Plot.Top + fy * Plot.Height : Plot.Bottom - fy * Plot.Height;
            return new Point((int)Math.Round(px), (int)Math.Round(py));
        }

        /// <summary>Stretches <paramref name="background"/> over the plot area (then redraws the frame).</summary>
        public void Fill(Mat background)
        {
            using var bgr = new Mat();
            if (background.Channels() == 1) Cv2.CvtColor(background, bgr, ColorConversionCodes.GRAY2BGR);
            else background.CopyTo(bgr);
            using var resized = new Mat();
            Cv2.Resize(bgr, resized, Plot.Size, 0, 0, InterpolationFlags.Linear);
            using (var roi = Image[Plot]) resized.CopyTo(roi);
            Cv2.Rectangle(Image, Plot, DarkGrey, 1);
        }

        public void Legend(IReadOnlyList<string> names)
        {
            var x = Plot.Right + 14;
            for (var i = 0; i < names.Count; i++)
            {
                var y = Plot.Top + 12 + i * 24;
                Cv2.Rectangle(Image, new Rect(x, y - 10, 14, 14), Palette[i % Palette.Count], -1);
                if (names[i].Length > 0) Cv2.PutText(Image, names[i], new Point(x + 20, y + 2), Font, 0.48, Black, 1, LineTypes.AntiAlias);
            }
        }
    }
}
