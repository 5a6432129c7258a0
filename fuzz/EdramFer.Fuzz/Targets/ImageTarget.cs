using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Fuzz.Targets;

/// <summary>
/// Encoded image bytes through the header check (<c>ImageHeader.Check</c>), the decoder (<c>ImageDecoder.Decode</c>) and
/// the public entry <see cref="FacePreprocessor.ProcessEncoded"/> (no detector: decode, crop, grey, resize, CLAHE).
/// </summary>
public sealed class ImageTarget : FuzzTarget
{
    /// <summary>Pixel limit of the run: lower than the default so oversized mutants are refused quickly; the same guard.</summary>
    public const long MaxPixels = 4_000_000;

    private readonly FacePreprocessor _preprocessor = new(new PreprocessOptions { Detectors = [], MaxPixels = MaxPixels });

    /// <summary>OpenCV logs every rejected input on standard error; the outcome already says what happened.</summary>
    public ImageTarget() => Cv2.SetLogLevel(OpenCvSharp.LogLevel.SILENT);

    /// <inheritdoc />
    public override string Name => "image";

    /// <inheritdoc />
    public override string Contract =>
        "No exception from the header check, the decoder or ProcessEncoded; a header is a format with a size >= 0, a problem, or " +
        "no format; a decoded image has no more pixels than its header declared; ProcessEncoded fails with the decoder's status " +
        "or gives OutputSize² pixels.";

    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } =
    [
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF], [0xFF, 0xC0], [0xFF, 0xC2], [0xFF, 0xC4],
        [0xFF, 0xDA], [0xFF, 0xD9], [0xFF, 0x4F, 0xFF, 0x51], [0x59, 0xA6, 0x6A, 0x95],
        .. Tokens("IHDR", "IDAT", "IEND", "PLTE", "tRNS", "BM", "RIFF", "WEBP", "VP8 ", "VP8L", "VP8X", "GIF87a", "GIF89a", "II*\0", "MM\0*",
            "II+\0", "P1\n", "P4\n", "P5\n", "P6\n", "P7\n", "PF\n", "WIDTH ", "HEIGHT ", "DEPTH ", "MAXVAL ", "TUPLTYPE ", "ENDHDR\n",
            "#?RADIANCE\n", "FORMAT=32-bit_rle_rgbe\n\n", "-Y ", "+X ", "jP  ", "ihdr", "jp2h", "# ", "65535", "-1", "0", "4294967295", "99999999999999999999"),
    ];

    /// <inheritdoc />
    public override string Run(ReadOnlySpan<byte> data)
    {
        var bytes = data.ToArray();
        var header = ImageHeader.Check(bytes);
        if (header.Format is null && header.Problem is not null) throw new ContractViolation($"header problem without a format: {header.Problem}");
        if (header is { Format: not null, Problem: null } && (header.Width < 0 || header.Height < 0))
            throw new ContractViolation($"{header.Format} header read as {header.Width}x{header.Height}: a negative size");

        var (image, status, message, _) = ImageDecoder.Decode(bytes, "<fuzz>", MaxPixels);
        using (image)
        {
            if ((image is null) == (status == PreprocessStatus.Ok)) throw new ContractViolation($"decoder status {status} with{(image is null ? "out" : "")} an image");
            if (image is not null && (long)image.Width * image.Height > header.Width * header.Height)
                throw new ContractViolation($"{header.Format} decoded to {image.Width}x{image.Height}, more pixels than its header's " +
                                            $"{header.Width}x{header.Height}: the size guard read another size than the decoder");
        }

        var result = _preprocessor.ProcessEncoded(bytes, "<fuzz>");
        if (status != PreprocessStatus.Ok && result.Status != status)
            throw new ContractViolation($"ProcessEncoded gave {result.Status} where the decoder gave {status} ({message})");
        var side = _preprocessor.Options.OutputSize;
        if (result.HasPixels != (result.Status == PreprocessStatus.Ok) || result.Pixels is { } p && p.Length != side * side)
            throw new ContractViolation($"ProcessEncoded gave {result.Status} with {result.Pixels?.Length ?? 0} pixel bytes (expected {side * side} exactly when Ok)");
        return $"{header.Format ?? "unknown"}: {result.Status}: {Outcome.Template(result.Message.Replace("<fuzz>: ", ""))}";
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _preprocessor.Dispose();
        base.Dispose();
    }
}
