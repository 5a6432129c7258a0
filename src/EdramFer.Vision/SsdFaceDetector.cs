using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace EdramFer.Vision;

/// <summary>
/// OpenCV's res10 SSD face detector (ResNet-10, trained at 300x300, TensorFlow uint8 graph): the detector of the seed
/// paper. The network is fully convolutional; as in its training, the image is resized to a square (aspect ratio not
/// kept: keeping it found 1147 instead of 1152 of the 1160 muxspace faces), whose side is the image's longer side, at most
/// the input size and at least the training size of 300. Not thread-safe.
/// </summary>
public sealed class SsdFaceDetector : IFaceDetector
{
    private static readonly Scalar Mean = new(104, 177, 123); // BGR training mean of the res10 model

    private readonly Net _net;
    private readonly float _scoreThreshold;
    private readonly int _inputSize;
    private const int TrainingSide = 300; // smaller images are enlarged to it: below it the SSD misses faces

    /// <summary>Loads <c>opencv_face_detector_uint8.pb</c> and its <c>.pbtxt</c>; throws naming a missing file.</summary>
    public SsdFaceDetector(string modelPath, string configPath, float scoreThreshold = PreprocessOptions.DefaultSsdScoreThreshold,
        int inputSize = PreprocessOptions.DefaultDetectorInputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, PreprocessOptions.MinDetectorInputSize);
        DetectorImage.RequireFile(modelPath, nameof(PreprocessOptions.SsdModelPath), DetectorKind.Ssd);
        DetectorImage.RequireFile(configPath, nameof(PreprocessOptions.SsdConfigPath), DetectorKind.Ssd);
        _net = CvDnn.ReadNetFromTensorflow(modelPath, configPath)
               ?? throw new InvalidDataException($"OpenCV could not load the SSD graph '{modelPath}' with '{configPath}'");
        _net.SetPreferableBackend(Backend.OPENCV);
        _net.SetPreferableTarget(Target.CPU);
        _scoreThreshold = scoreThreshold;
        _inputSize = inputSize;
    }

    /// <summary>The network's input for a <paramref name="width"/> x <paramref name="height"/> image: a square whose side
    /// is the longer side, at most <paramref name="inputSize"/> and at least 300.</summary>
    public static Size InputFor(int width, int height, int inputSize)
    {
        var side = Math.Min(inputSize, Math.Max(TrainingSide, Math.Max(width, height)));
        return new Size(side, side);
    }

    /// <inheritdoc />
    public DetectorKind Kind => DetectorKind.Ssd;

    /// <inheritdoc />
    public IReadOnlyList<FaceBox> Detect(Mat image)
    {
        var bgr = DetectorImage.ToBgr(image);
        try
        {
            using var blob = CvDnn.BlobFromImage(bgr, 1.0, InputFor(image.Width, image.Height, _inputSize), Mean, swapRB: false, crop: false);
            _net.SetInput(blob);
            using var output = _net.Forward(); // 1x1xNx7: [image, class, score, x1, y1, x2, y2], coordinates in 0..1
            var rows = (int)(output.Total() / 7);
            var values = new float[rows * 7];
            using (var flat = output.Reshape(1, 1)) flat.GetArray(out values);
            var faces = new List<FaceBox>();
            int w = image.Width, h = image.Height;
            for (var i = 0; i < rows; i++)
            {
                var score = values[i * 7 + 2];
                if (score < _scoreThreshold) continue;
                var box = DetectorImage.Clip(values[i * 7 + 3] * w, values[i * 7 + 4] * h, values[i * 7 + 5] * w, values[i * 7 + 6] * h, score, w, h);
                if (box is { } b) faces.Add(b);
            }
            return faces;
        }
        finally
        {
            if (!ReferenceEquals(bgr, image)) bgr.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _net.Dispose();
}
