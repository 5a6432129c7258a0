using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.ML.Quantization;
using EdramFer.Training.Model;
using EdramFer.Vision;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace EdramFer.Bench;

/// <summary>
/// The physical limit: ONNX Runtime's own GEMM throughput on this CPU, fp32 (MatMul) and int8 (MatMulInteger, uint8 ×
/// int8 → int32), at 1 thread and all cores, and the fraction of it the shipped model reaches, float and int8 (its copy
/// made by <c>edram quantize</c> on 300 FER2013 Training crops), from its multiply-accumulates per image
/// (<see cref="ModelComplexity"/>, twice for a mirror-averaged export). Writes "## Physical limit" in docs/benchmarks.md.
/// Options: --size N (GEMM side, default 512) --seconds S (per measurement, default 3) --rounds R (default 3) --data DIR --no-write.
/// </summary>
internal static class PeakBenchmark
{
    private const string Heading = "## Physical limit";

    public static int Run(string[] args)
    {
        var root = BenchmarkDocs.RepoRoot();
        var data = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "fer2013"));
        int size = 512, rounds = 3;
        double seconds = 3;
        var write = true;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--size": size = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--data": data = Path.GetFullPath(args[++i]); break;
                case "--no-write": write = false; break;
                default: Console.Error.WriteLine($"unknown option '{args[i]}': expected --size, --seconds, --rounds, --data, --no-write"); return 2;
            }
        }
        var dir = Directory.CreateTempSubdirectory("edram-peak").FullName;
        try
        {
            var shipped = Path.Combine(root, "onnx", "edram-fer2013.onnx");
            var int8 = Path.Combine(dir, "int8.onnx");
            var faces = Faces(data, 300);
            EdramQuantizer.Quantize(shipped, faces, int8);
            int[] threads = [1, Environment.ProcessorCount];
            var gemm = new Dictionary<(bool Int8, int Threads), double>();
            var model = new Dictionary<(bool Int8, int Threads), double>();
            for (int round = 0; round < rounds; round++)
                foreach (var t in threads)
                    foreach (var q in new[] { false, true })
                    {
                        gemm[(q, t)] = Math.Max(gemm.GetValueOrDefault((q, t)), Gemm(dir, size, q, t, seconds));
                        model[(q, t)] = Math.Max(model.GetValueOrDefault((q, t)), ModelRate(q ? int8 : shipped, faces, t, seconds));
                        Console.WriteLine($"round {round} threads {t} {(q ? "int8" : "fp32")}: GEMM {gemm[(q, t)]:F1} G/s, model {model[(q, t)]:F1} images/s");
                    }
            var body = Report(shipped, size, threads, gemm, model, seconds, rounds);
            Console.WriteLine(body);
            if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection(Heading, body)}");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Every k-th FER2013 Training crop, preprocessed without detection (the images are face crops).</summary>
    private static List<byte[]> Faces(string data, int count)
    {
        var csv = Path.Combine(data, "labels.csv");
        if (!File.Exists(csv)) throw new FileNotFoundException($"FER2013 labels not found: {csv} (use --data)", csv);
        var paths = File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).Where(f => f[0] == "train").Select(f => Path.Combine(data, f[1])).ToList();
        var chosen = PeerSets.Spread(paths.Count, count).Select(i => paths[i]).ToList();
        using var crops = new FacePreprocessor(new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage });
        return crops.ProcessFiles(chosen).Select(r => r.Pixels ?? throw new InvalidDataException($"{r.Message}")).ToList();
    }

    /// <summary>Multiply-adds ×2 per second of one [size×size]·[size×size] product, float or uint8·int8.</summary>
    private static double Gemm(string dir, int size, bool int8, int threads, double seconds)
    {
        var path = Path.Combine(dir, $"gemm-{int8}.onnx");
        if (!File.Exists(path)) WriteGemm(path, size, int8);
        using var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(path, options);
        using var a = int8
            ? OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, size * size).Select(i => (byte)(i * 7 % 251)).ToArray(), [size, size])
            : OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, size * size).Select(i => (i % 13) / 13f).ToArray(), [size, size]);
        using var run = new RunOptions();
        void Call() { using var r = session.Run(run, ["a"], [a], ["y"]); }
        Call(); // warm-up
        return OnnxBenchmark.Measure(Call, 1, seconds) * 2.0 * size * size * size / 1e9;
    }

    private static void WriteGemm(string path, int size, bool int8)
    {
        var graph = new GraphProto { Name = "gemm" };
        var rng = new Random(1);
        var b = new TensorProto { Name = "b", DataType = (int)(int8 ? TensorProto.Types.DataType.Int8 : TensorProto.Types.DataType.Float) };
        b.Dims.Add(size);
        b.Dims.Add(size);
        b.RawData = int8
            ? ByteString.CopyFrom(Enumerable.Range(0, size * size).Select(_ => (byte)rng.Next(256)).ToArray())
            : ByteString.CopyFrom(Enumerable.Range(0, size * size).SelectMany(_ => BitConverter.GetBytes((float)rng.NextDouble())).ToArray());
        graph.Initializer.Add(b);
        var node = new NodeProto { OpType = int8 ? "MatMulInteger" : "MatMul", Name = "gemm" };
        node.Input.Add("a");
        node.Input.Add("b");
        node.Output.Add("y");
        graph.Node.Add(node);
        graph.Input.Add(Value("a", int8 ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Float, size));
        graph.Output.Add(Value("y", int8 ? TensorProto.Types.DataType.Int32 : TensorProto.Types.DataType.Float, size));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        using var stream = File.Create(path);
        model.WriteTo(stream);
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, int size)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = size });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = size });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    /// <summary>Images/s of the model alone on preprocessed faces, batch 64, <paramref name="threads"/> intra-op threads.</summary>
    private static double ModelRate(string path, List<byte[]> faces, int threads, double seconds)
    {
        using var scorer = EdramScorer.Load(path, intraOpThreads: threads);
        var batch = Enumerable.Range(0, 64).Select(i => (byte[]?)faces[i % faces.Count]).ToList();
        scorer.Score(batch); // warm-up
        return OnnxBenchmark.Measure(() => scorer.Score(batch), batch.Count, seconds);
    }

    /// <summary>Multiply-accumulates per image of the model in <paramref name="path"/>, from its metadata's configuration.</summary>
    private static (long Macs, bool Mirror) ModelMacs(string path)
    {
        var info = EdramModelInfo.Read(path);
        var json = JsonNode.Parse(info.Metadata[OnnxContract.Metadata.Config])!.AsObject();
        EdramConfig.UpgradeJson(json);
        var config = json.Deserialize<EdramConfig>() ?? throw new InvalidDataException($"'{path}': empty edram.config");
        return (ModelComplexity.MacsPerImage(config) * (info.FlipAveraging ? 2 : 1), info.FlipAveraging);
    }

    private static string Report(string shipped, int size, int[] threads, Dictionary<(bool, int), double> gemm,
        Dictionary<(bool, int), double> model, double seconds, int rounds)
    {
        var (macs, mirror) = ModelMacs(shipped);
        var inv = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        b.AppendLine($"ONNX Runtime's GEMM on this CPU ({size}×{size}×{size}: MatMul fp32, MatMulInteger uint8 × int8 → int32), and the shipped");
        b.AppendLine($"model ({(mirror ? "mirror-averaged, " : "")}{2 * macs / 1e9:F2} GFLOP per image from its configuration) at batch 64 on preprocessed");
        b.AppendLine("FER2013 crops, float and int8 (`edram quantize`, calibrated on 300 Training crops). Achieved = images/s × operations per");
        b.AppendLine($"image; fraction = achieved / the GEMM peak of the same type and thread count. Best of {rounds} interleaved rounds, ≥ {seconds:G3} s each.");
        b.AppendLine();
        b.AppendLine("| path | threads | images/s | achieved (G op/s) | GEMM peak (G op/s) | fraction of peak |");
        b.AppendLine("|---|---|---|---|---|---|");
        foreach (var t in threads)
            foreach (var q in new[] { false, true })
            {
                var achieved = model[(q, t)] * 2 * macs / 1e9;
                b.AppendLine(string.Create(inv, $"| {(q ? "int8" : "fp32")} model | {t} | {model[(q, t)]:F1} | {achieved:F1} | {gemm[(q, t)]:F1} | {100 * achieved / gemm[(q, t)]:F1} % |"));
            }
        b.AppendLine();
        b.AppendLine(string.Create(inv, $"int8 over fp32, GEMM alone: {gemm[(true, 1)] / gemm[(false, 1)]:F2}x at 1 thread; the model: {model[(true, 1)] / model[(false, 1)]:F2}x at 1 thread, " +
                                        $"{model[(true, threads[^1])] / model[(false, threads[^1])]:F2}x at {threads[^1]}."));
        b.AppendLine();
        b.AppendLine($"Machine: {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, ONNX Runtime (CPU). " +
                     $"Load average (1 min) at the end: {BenchmarkDocs.LoadAverage()}; above the core count means other work shared the machine.");
        b.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `dotnet run --project bench/EdramFer.Bench -c Release -- peak` " +
                     "(options `--size 512`, `--seconds 3`, `--rounds 3`, `--data DIR`, `--no-write`).");
        return b.ToString();
    }
}
