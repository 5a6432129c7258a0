using OpenCvSharp;

namespace EdramFer.Video;

/// <summary>
/// An open video file (OpenCV <see cref="VideoCapture"/> with its FFmpeg backend). Every way a file can fail to be a
/// video gives an <see cref="InvalidDataException"/> (or <see cref="FileNotFoundException"/>) whose message starts with the path.
/// </summary>
public sealed class VideoSource : IDisposable
{
    private readonly VideoCapture _capture;
    private long _decoded;

    private VideoSource(string path, VideoCapture capture)
    {
        Path = path;
        _capture = capture;
        Fps = capture.Fps;
        DeclaredFrames = Math.Max(0, (long)capture.Get(VideoCaptureProperties.FrameCount));
        Width = capture.FrameWidth;
        Height = capture.FrameHeight;
    }

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>The container's nominal frame rate.</summary>
    public double Fps { get; }
    /// <summary>Frames the container declares (0 when it does not say).</summary>
    public long DeclaredFrames { get; }
    /// <summary>Frame width in pixels.</summary>
    public int Width { get; }
    /// <summary>Frame height in pixels.</summary>
    public int Height { get; }
    /// <summary>Frames decoded or skipped so far.</summary>
    public long Position => _decoded;

    /// <summary>Opens <paramref name="path"/> and checks that it declares a frame rate.</summary>
    public static VideoSource Open(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidDataException("empty video path");
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a directory, not a video file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: video file not found", path);
        if (new FileInfo(path).Length == 0) throw new InvalidDataException($"{path}: file is empty (0 bytes)");
        var capture = new VideoCapture(path, VideoCaptureAPIs.FFMPEG);
        if (!capture.IsOpened())
        {
            capture.Dispose();
            throw new InvalidDataException($"{path}: FFmpeg could not open it as a video (not a video file, a truncated file, or an unsupported container)");
        }
        var source = new VideoSource(path, capture);
        if (!(source.Fps > 0 && double.IsFinite(source.Fps)) || source.Width < 1 || source.Height < 1)
        {
            source.Dispose();
            throw new InvalidDataException($"{path}: the video stream declares {source.Width}x{source.Height} at {source.Fps} frames/s; expected a size and a positive frame rate");
        }
        return source;
    }

    /// <summary>Decodes the next frame into <paramref name="frame"/> (8-bit BGR); false at the end of the stream.</summary>
    public bool Read(Mat frame)
    {
        if (!_capture.Read(frame) || frame.Empty()) return false;
        _decoded++;
        return true;
    }

    /// <summary>Skips frames up to index <paramref name="frameIndex"/> by decoding them (exact for every codec, unlike seeking).</summary>
    public void SkipTo(long frameIndex)
    {
        while (_decoded < frameIndex)
        {
            if (!_capture.Grab())
                throw new InvalidDataException($"{Path}: the video ends after {_decoded} frames, but the resume state continues at frame {frameIndex}; the file changed");
            _decoded++;
        }
    }

    /// <summary>
    /// After the last frame: throws when nothing could be decoded, or when decoding stopped well before the frame count
    /// the container declares (a truncated or corrupt file). A small shortfall is tolerated: FFmpeg estimates some counts.
    /// </summary>
    public void CheckComplete()
    {
        if (_decoded == 0)
            throw new InvalidDataException($"{Path}: no frame could be decoded (an unsupported codec, or corrupt or truncated data)");
        var tolerance = Math.Max(2, DeclaredFrames / 100);
        if (DeclaredFrames > 0 && _decoded < DeclaredFrames - tolerance)
            throw new InvalidDataException($"{Path}: decoding stopped after {_decoded} of the {DeclaredFrames} frames the file declares (truncated or corrupt)");
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _capture.Dispose();
}
