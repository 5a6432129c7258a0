using System.Buffers.Binary;
using EdramFer.Tests.Shared;
using OpenCvSharp;

namespace EdramFer.Vision.Tests;

/// <summary>Programmatic fixtures (no committed images) and shared-data paths.</summary>
internal static class TestImages
{
    /// <summary>A smooth synthetic BGR image: gradients plus an ellipse, so JPEG/CLAHE/resize have structure to act on.</summary>
    public static Mat Synthetic(int width, int height, int seed = 0)
    {
        var px = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var o = (y * width + x) * 3;
            px[o] = (byte)(x * 255 / Math.Max(1, width - 1));
            px[o + 1] = (byte)(y * 255 / Math.Max(1, height - 1));
            px[o + 2] = (byte)((x + y + seed * 37) % 256);
        }
        using var view = Mat.FromPixelData(height, width, MatType.CV_8UC3, px);
        var m = view.Clone();
        Cv2.Ellipse(m, new Point(width / 2, height / 2), new Size(width / 4, height / 3), 0, 0, 360, new Scalar(40, 60, 200), -1);
        return m;
    }

    /// <summary>Packed bytes of a continuous 8-bit Mat (any channel count).</summary>
    public static byte[] Raw(Mat m)
    {
        var bytes = new byte[m.Total() * m.ElemSize()];
        System.Runtime.InteropServices.Marshal.Copy(m.Data, bytes, 0, bytes.Length);
        return bytes;
    }

    public static byte[] Encode(Mat image, string ext, params ImageEncodingParam[] prms)
    {
        Cv2.ImEncode(ext, image, out var bytes, prms);
        return bytes;
    }

    /// <summary>
    /// A valid-looking PNG whose IHDR declares <paramref name="width"/> x <paramref name="height"/> (8-bit grey) with a
    /// tiny IDAT: a decoder that trusted the header would try to allocate width × height bytes.
    /// </summary>
    public static byte[] PngWithDeclaredSize(uint width, uint height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; colour type 0 (grey), compression/filter/interlace 0
        WriteChunk(ms, "IHDR", ihdr);
        WriteChunk(ms, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]); // empty zlib stream
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length);
        s.Write(len);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        Span<byte> c = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(c, Crc32([.. typeBytes, .. data]));
        s.Write(c);
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected, polynomial 0xEDB88320).</summary>
    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    public static string Detectors(string file) => SharedData.Path("face_detectors", file);
    public static string YuNetModel => Detectors("face_detection_yunet_2023mar.onnx");
    public static string SsdModel => Detectors("opencv_face_detector_uint8.pb");
    public static string SsdConfig => Detectors("opencv_face_detector.pbtxt");
    public const string MuxspaceImages = "muxspace_facial_expressions/images";

    /// <summary>All muxspace images, ordinal order (deterministic).</summary>
    public static string[] Muxspace() =>
        Directory.GetFiles(SharedData.Path("muxspace_facial_expressions", "images")).OrderBy(f => f, StringComparer.Ordinal).ToArray();

    /// <summary>Options with every shared-data detector configured and the given chain.</summary>
    public static PreprocessOptions WithDetectors(params DetectorKind[] chain) => new()
    {
        Detectors = chain,
        SsdModelPath = SsdModel,
        SsdConfigPath = SsdConfig,
        YuNetModelPath = YuNetModel,
    };
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edram-vision-" + Guid.NewGuid().ToString("N"));
    public string File(string name, byte[] bytes)
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllBytes(p, bytes);
        return p;
    }
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } // best effort
    }
}
