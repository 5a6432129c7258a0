using System.Buffers.Binary;
using System.Text;
using EdramFer.Contracts;
using OpenCvSharp;

namespace EdramFer.Fuzz.Seeds;

/// <summary>
/// The generated seed inputs of every target (<c>fuzz seed</c> writes them to <c>fuzz/corpus/&lt;target&gt;/</c>): small
/// valid files of each format, and the near misses (truncated, oversized, malformed) that the contracts are about.
/// </summary>
public static class SeedCorpus
{
    /// <summary>File name → bytes of the seeds of <paramref name="target"/>.</summary>
    public static SortedDictionary<string, byte[]> For(string target) => target switch
    {
        "image" => Images(),
        "csv" => Csvs(),
        "onnx-metadata" => Models(),
        "pipeline-zip" => PipelineSeeds.Create(),
        _ => throw new ArgumentException($"Unknown fuzz target '{target}': expected one of {string.Join(", ", FuzzTargets.Names)}"),
    };

    /// <summary>Writes every target's seeds under <paramref name="corpusRoot"/>; other files there (regressions) are kept.</summary>
    public static int Write(string corpusRoot, Action<string>? log = null)
    {
        var written = 0;
        foreach (var target in FuzzTargets.Names)
        {
            var folder = Directory.CreateDirectory(Path.Combine(corpusRoot, target)).FullName;
            foreach (var (name, bytes) in For(target))
            {
                File.WriteAllBytes(Path.Combine(folder, name), bytes);
                written++;
            }
            log?.Invoke($"{target}: {Directory.GetFiles(folder).Length} files in {folder}");
        }
        return written;
    }

    private static SortedDictionary<string, byte[]> Images()
    {
        var seeds = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        using var colour = new Mat(6, 8, MatType.CV_8UC3);
        colour.SetTo(Scalar.All(0));
        for (var y = 0; y < 6; y++)
        for (var x = 0; x < 8; x++)
            colour.Set(y, x, new Vec3b((byte)(x * 30), (byte)(y * 40), (byte)(x * y * 5)));
        using var grey = colour.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var alpha = colour.CvtColor(ColorConversionCodes.BGR2BGRA);
        using var deep = new Mat();
        grey.ConvertTo(deep, MatType.CV_16U, 257);
        using var real = new Mat();
        colour.ConvertTo(real, MatType.CV_32FC3, 1 / 255.0);

        void Encode(string name, Mat image, string extension, params ImageEncodingParam[] parameters)
        {
            try
            {
                var bytes = image.ImEncode(extension, parameters);
                if (bytes.Length > 0) seeds[name] = bytes;
                else Console.Error.WriteLine($"seed {name}: the {extension} encoder wrote nothing; left out");
            }
            catch (OpenCVException)
            {
                Console.Error.WriteLine($"seed {name}: this OpenCV build has no {extension} encoder; left out");
            }
        }

        Encode("tiny.png", colour, ".png");
        Encode("tiny-grey.png", grey, ".png");
        Encode("tiny-alpha.png", alpha, ".png");
        Encode("tiny-16bit.png", deep, ".png");
        Encode("tiny.jpg", colour, ".jpg");
        Encode("tiny-progressive.jpg", grey, ".jpg", new ImageEncodingParam(ImwriteFlags.JpegProgressive, 1));
        Encode("tiny.bmp", colour, ".bmp");
        Encode("tiny.webp", colour, ".webp", new ImageEncodingParam(ImwriteFlags.WebPQuality, 50));
        Encode("tiny-lossless.webp", alpha, ".webp", new ImageEncodingParam(ImwriteFlags.WebPQuality, 101));
        Encode("tiny.tif", colour, ".tif");
        Encode("tiny.pgm", grey, ".pgm");
        Encode("tiny-ascii.pgm", grey, ".pgm", new ImageEncodingParam(ImwriteFlags.PxmBinary, 0));
        Encode("tiny.ppm", colour, ".ppm");
        Encode("tiny.pbm", grey, ".pbm");
        Encode("tiny.pam", alpha, ".pam");
        Encode("tiny.pfm", real, ".pfm");
        Encode("tiny.ras", colour, ".ras");
        Encode("tiny.hdr", real, ".hdr");
        using (var larger = colour.Resize(new Size(32, 32), 0, 0, InterpolationFlags.Nearest))
            Encode("tiny.jp2", larger, ".jp2"); // OpenJPEG's default 6 resolution levels need more than 8x6 pixels
        Encode("tiny.gif", colour, ".gif");

        // Near misses: the data ends early, or the header declares a decompression bomb.
        if (seeds.TryGetValue("tiny.jpg", out var jpg)) seeds["truncated.jpg"] = jpg[..(jpg.Length / 2)];
        if (seeds.TryGetValue("tiny.png", out var png))
        {
            seeds["truncated-header.png"] = png[..20];
            var bomb = png.ToArray();
            BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(16), 100_000);
            BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(20), 100_000);
            seeds["bomb-header.png"] = bomb;
        }
        seeds["truncated-header.pgm"] = "P5\n8 "u8.ToArray();
        seeds["comment-header.pgm"] = [.. "P5\n# a comment\n2 2\n255\n"u8, 0, 64, 128, 255];
        seeds["zero-size.gif"] = [.. "GIF89a"u8, 0, 0, 0, 0, 0, 0, 0];
        seeds["empty.bin"] = [];
        seeds["text.jpg"] = "not an image at all\n"u8.ToArray();
        return seeds;
    }

    private static SortedDictionary<string, byte[]> Csvs()
    {
        var texts = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["basic.csv"] = "path,label\nimg/a.jpg,happy\n/abs/b.png,sad\n",
            ["quoted.csv"] = "path,note\n\"x, y.jpg\",\"said \"\"hi\"\"\"\n\"multi\nline.jpg\",n\n",
            ["semicolon.csv"] = "id;path;label\n1;a.jpg;happy\n2;\"b;c.jpg\";sad\n",
            ["tab.tsv"] = "path\tlabel\na.jpg\thappy\n",
            ["pipe.csv"] = "path|id\na.jpg|1\n",
            ["one-column.csv"] = "path\n/x/semi;colon.jpg\n/x/pipe|bar.jpg\n",
            ["bom-crlf.csv"] = "\uFEFFpath,id\r\na.jpg,1\r\nb.jpg,2\r\n",
            ["ragged.csv"] = "path,id\na.jpg,1,extra\nb.jpg\nc.jpg,3,x,y\n",
            ["empty-paths.csv"] = "path,id\n,1\n   ,2\n\"\",3\n",
            ["duplicate-header.csv"] = "path,id,id,note,note\na.jpg,1,2,first,second\n",
            ["unclosed-quote.csv"] = "path,note\na.jpg,\"open\nb.jpg,x\nc.jpg,y\n",
            ["no-path-column.csv"] = "file,label\na.jpg,happy\n",
            ["header-only.csv"] = "path\n",
            ["blank-lines.csv"] = "path,label\n\na.jpg,happy\n\n\n",
            ["empty.csv"] = "",
        };
        return new SortedDictionary<string, byte[]>(texts.ToDictionary(p => p.Key, p => Encoding.UTF8.GetBytes(p.Value)), StringComparer.Ordinal);
    }

    private static SortedDictionary<string, byte[]> Models()
    {
        SortedDictionary<string, string> With(string key, string? value)
        {
            var meta = TinyEdramModel.Metadata();
            if (value is null) meta.Remove(key);
            else meta[key] = value;
            return meta;
        }

        var tiny = TinyEdramModel.Bytes();
        return new SortedDictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["tiny.onnx"] = tiny,
            ["truncated.onnx"] = tiny[..(tiny.Length / 2)],
            ["no-labels.onnx"] = TinyEdramModel.Bytes(With(OnnxContract.Metadata.Labels, null)),
            ["one-label.onnx"] = TinyEdramModel.Bytes(With(OnnxContract.Metadata.Labels, "happy")),
            ["duplicate-labels.onnx"] = TinyEdramModel.Bytes(With(OnnxContract.Metadata.Labels, "angry,Angry,sad")),
            ["steps-text.onnx"] = TinyEdramModel.Bytes(With(OnnxContract.Metadata.Steps, "two")),
            ["steps-mismatch.onnx"] = TinyEdramModel.Bytes(With(OnnxContract.Metadata.Steps, "3")),
            ["max-pixels-raised.onnx"] = TinyEdramModel.Bytes(With("preprocess.max_pixels", "9000000000000")),
            ["unknown-preprocess-key.onnx"] = TinyEdramModel.Bytes(With("preprocess.sharpen", "1")),
            ["newer-preprocess.onnx"] = TinyEdramModel.Bytes(With("preprocess.version", "2")),
            ["output-size-mismatch.onnx"] = TinyEdramModel.Bytes(With("preprocess.output_size", "5")),
            ["flags-true.onnx"] = TinyEdramModel.Bytes(With(OnnxContract.Metadata.FlipAveraging, "true")),
            ["empty.onnx"] = [],
        };
    }
}
