using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace EdramFer.Vision;

/// <summary>
/// YuNet (OpenCV Zoo, <c>FaceDetectorYN</c>). OpenCvSharp 4.13 exposes no <c>setInputSize</c>, and a detector only
/// accepts images of the size it was created with, so every image is letterboxed (scaled down so its longer side fits
/// the input size, never up; padded with black at the right/bottom) onto a square canvas and the boxes are mapped back.
/// The canvas side follows the image: its longer side rounded up to a multiple of 32, at most the input size; one
/// detector and one canvas are kept per side in use. Not thread-safe.
/// </summary>
public sealed class YuNetFaceDetector : IFaceDetector
{
    private const float NmsThreshold = 0.3f; // OpenCV Zoo default
    private const int TopK = 5000;           // OpenCV Zoo default
    private const int Stride = 32;           // YuNet's coarsest feature stride: canvas sides are multiples of it

    private readonly string _modelPath;
    private readonly float _scoreThreshold;
    private readonly int _inputSize;
    private readonly Dictionary<int, (FaceDetectorYN Detector, Mat Canvas)> _bySide = [];

    /// <summary>Loads a YuNet ONNX model; throws naming a missing file.</summary>
    /// <param name="modelPath">the ONNX file</param>
    /// <param name="scoreThreshold">minimum face score</param>
    /// <param name="inputSize">longest canvas side (<see cref="PreprocessOptions.DetectorInputSize"/>)</param>
    public YuNetFaceDetector(string modelPath, float scoreThreshold = PreprocessOptions.DefaultYuNetScoreThreshold,
        int inputSize = PreprocessOptions.DefaultDetectorInputSize)
    {
        DetectorImage.RequireFile(modelPath, nameof(PreprocessOptions.YuNetModelPath), DetectorKind.YuNet);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, Stride);
        (_modelPath, _scoreThreshold, _inputSize) = (modelPath, scoreThreshold, inputSize);
        For(CanvasSide(inputSize, inputSize, inputSize)); // loads the model now, so a bad file fails here
    }

    /// <summary>The canvas side for a <paramref name="width"/> x <paramref name="height"/> image: its longer side rounded
    /// up to a multiple of 32, at most <paramref name="inputSize"/> (itself rounded up).</summary>
    public static int CanvasSide(int width, int height, int inputSize) =>
        Math.Min(RoundUp(inputSize), RoundUp(Math.Max(width, height)));

    private static int RoundUp(int side) => Math.Max(Stride, (side + Stride - 1) / Stride * Stride);

    private (FaceDetectorYN Detector, Mat Canvas) For(int side)
    {
        if (_bySide.TryGetValue(side, out var made)) return made;
        var detector = FaceDetectorYN.Create(_modelPath, "", new Size(side, side), _scoreThreshold, NmsThreshold, TopK, Backend.OPENCV, Target.CPU)
                       ?? throw new InvalidDataException($"OpenCV could not load the YuNet model '{_modelPath}'");
        return _bySide[side] = (detector, new Mat(new Size(side, side), MatType.CV_8UC3, Scalar.All(0)));
    }

    /// <inheritdoc />
    public DetectorKind Kind => DetectorKind.YuNet;

    /// <inheritdoc />
    public IReadOnlyList<FaceBox> Detect(Mat image)
    {
        int w = image.Width, h = image.Height;
        var (detector, canvas) = For(CanvasSide(w, h, _inputSize));
        var scale = Math.Min(1.0, (double)_inputSize / Math.Max(w, h));
        var sw = Math.Clamp((int)Math.Round(w * scale), 1, canvas.Width);
        var sh = Math.Clamp((int)Math.Round(h * scale), 1, canvas.Height);
        var bgr = DetectorImage.ToBgr(image);
        try
        {
            canvas.SetTo(Scalar.All(0));
            using (var roi = canvas[new Rect(0, 0, sw, sh)])
                if (scale < 1) Cv2.Resize(bgr, roi, new Size(sw, sh), 0, 0, InterpolationFlags.Area);
                else bgr.CopyTo(roi);
            using var output = new Mat(); // N x 15: x, y, w, h, 5 landmarks (x, y), score
            detector.Detect(canvas, output);
            var rows = output.Rows;
            var faces = new List<FaceBox>(rows);
            if (rows == 0) return faces;
            using var flat = output.Reshape(1, 1);
            flat.GetArray(out float[] v);
            double sx = (double)w / sw, sy = (double)h / sh; // exact inverse of the rounded resize
            for (var i = 0; i < rows; i++)
            {
                var o = i * 15;
                var box = DetectorImage.Clip(v[o] * sx, v[o + 1] * sy, (v[o] + v[o + 2]) * sx, (v[o + 1] + v[o + 3]) * sy, v[o + 14], w, h);
                var points = new FivePoints(v[o + 4], v[o + 5], v[o + 6], v[o + 7], v[o + 8], v[o + 9], v[o + 10], v[o + 11], v[o + 12], v[o + 13]);
                if (box is { } b) faces.Add(b with { Landmarks = points.Scaled(sx, sy) });
            }
            return faces;
        }
        finally
        {
            if (!ReferenceEquals(bgr, image)) bgr.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (detector, canvas) in _bySide.Values)
        {
            detector.Dispose();
            canvas.Dispose();
        }
        _bySide.Clear();
    }
}
