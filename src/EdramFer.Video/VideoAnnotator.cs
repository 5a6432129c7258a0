using System.Globalization;
using EdramFer.Analysis;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Video;

/// <summary>
/// An annotated copy of a video (<c>--annotate out.mp4</c>, MPEG-4 Part 2 at the source frame rate): every decoded frame with
/// the boxes, track ids and labels of the latest sampled frame, and each face's glimpse scan path (numbered glimpse
/// centres, the first in white). Drawn from the finished table, so it is the same for an interrupted and resumed run;
/// the glimpses come from scoring each row's face crop again.
/// </summary>
public static class VideoAnnotator
{
    private static readonly Scalar BoxColour = new(40, 200, 40), PathColour = new(0, 200, 255), White = Scalar.All(255);

    /// <summary>Writes the annotated copy of <paramref name="videoPath"/> from its <paramref name="rows"/> (in frame order).</summary>
    public static void Write(string videoPath, IEnumerable<VideoRow> rows, EdramScorer scorer, PreprocessOptions preprocess, string outputPath)
    {
        using var source = VideoSource.Open(videoPath);
        using var crops = new FaceCrops(preprocess);
        var dir = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var writer = new VideoWriter(outputPath, FourCC.FromString("mp4v"), source.Fps, new Size(source.Width, source.Height));
        if (!writer.IsOpened()) throw new IOException($"{outputPath}: OpenCV could not open it for writing an MPEG-4 video");
        var alignCorners = OnnxContract.IsTrue(scorer.Info.Metadata, OnnxContract.Metadata.AlignCorners);
        using var pending = rows.Where(r => r.FrameIndex is not null).GetEnumerator();
        var hasRow = pending.MoveNext();
        var current = new List<(VideoRow Row, (double X, double Y)[] Path)>();
        using var frame = new Mat();
        while (source.Read(frame))
        {
            var index = source.Position - 1;
            if (hasRow && pending.Current.FrameIndex == index)
            {
                var sampled = new List<VideoRow>();
                while (hasRow && pending.Current.FrameIndex == index)
                {
                    sampled.Add(pending.Current);
                    hasRow = pending.MoveNext();
                }
                current = ScanPaths(frame, sampled.Where(r => r.Box is not null).ToList(), scorer, crops, preprocess, alignCorners);
            }
            foreach (var (row, path) in current) Draw(frame, row, path);
            writer.Write(frame);
        }
    }

    /// <summary>Each face's glimpse centres in frame pixels, from scoring its crop again.</summary>
    private static List<(VideoRow, (double X, double Y)[])> ScanPaths(Mat frame, List<VideoRow> faces, EdramScorer scorer, FaceCrops crops,
        PreprocessOptions preprocess, bool alignCorners)
    {
        var whole = preprocess.Detectors.Count == 0;
        var result = scorer.Score(faces.Select(r => (byte[]?)crops.Crop(frame, r.Box!.Value, whole)).ToList());
        var size = scorer.Info.InputSize;
        var paths = new List<(VideoRow, (double, double)[])>();
        for (var i = 0; i < faces.Count; i++)
        {
            var box = faces[i].Box!.Value;
            var square = whole ? new CropRect(0, 0, Math.Min(frame.Width, frame.Height)) : FaceCropper.SquareAround(box, frame.Width, frame.Height, preprocess.Margin);
            double sx = whole ? (double)frame.Width / size : (double)square.Size / size, sy = whole ? (double)frame.Height / size : sx;
            var path = new (double, double)[scorer.Info.Steps];
            for (var t = 0; t < path.Length; t++)
            {
                var (cx, cy) = GlimpseGeometry.Center(result.Glimpses.AsSpan((i * scorer.Info.Steps + t) * 6, 6), size, alignCorners);
                path[t] = (square.X + cx * sx, square.Y + cy * sy);
            }
            paths.Add((faces[i], path));
        }
        return paths;
    }

    private static void Draw(Mat frame, VideoRow row, (double X, double Y)[] path)
    {
        var b = row.Box!.Value;
        Cv2.Rectangle(frame, new Rect(b.X, b.Y, b.Width, b.Height), BoxColour, 2);
        var best = EdramScorer.ArgMax(row.Probabilities);
        var p = best >= 0 ? row.Probabilities[best].ToString("0.00", CultureInfo.InvariantCulture) : "";
        var text = $"#{row.TrackId} {row.Label} {p}";
        Cv2.PutText(frame, text, new Point(b.X, Math.Max(14, b.Y - 6)), HersheyFonts.HersheySimplex, 0.5, BoxColour, 1, LineTypes.AntiAlias);
        for (var t = 0; t < path.Length; t++)
        {
            var point = new Point((int)Math.Round(path[t].X), (int)Math.Round(path[t].Y));
            if (t > 0) Cv2.Line(frame, new Point((int)Math.Round(path[t - 1].X), (int)Math.Round(path[t - 1].Y)), point, PathColour, 1, LineTypes.AntiAlias);
            Cv2.Circle(frame, point, 4, t == 0 ? White : PathColour, -1, LineTypes.AntiAlias);
            Cv2.PutText(frame, (t + 1).ToString(CultureInfo.InvariantCulture), new Point(point.X + 5, point.Y - 3), HersheyFonts.HersheySimplex, 0.35, PathColour, 1, LineTypes.AntiAlias);
        }
    }
}
