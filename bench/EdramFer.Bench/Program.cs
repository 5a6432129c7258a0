// Benchmark dispatcher: dotnet run --project bench/EdramFer.Bench -c Release -- <benchmark> [options]
// Each benchmark lives in its own file and writes its own section of docs/benchmarks.md.
using EdramFer.Bench;

var benchmarks = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["preprocess"] = PreprocessBenchmark.Run,
    ["onnx"] = OnnxBenchmark.Run,
    ["train"] = TrainingBenchmark.Run,
    ["score"] = ScoreBenchmark.Run,
    ["video"] = VideoBenchmark.Run,
    ["detectors"] = DetectorBenchmark.Run,
    ["detector-size"] = DetectorSizeBenchmark.Run,
    ["fuzz"] = FuzzBenchmark.Run,
    ["serve"] = ServeBenchmark.Run,
    ["peak"] = PeakBenchmark.Run,
    ["peers"] = PeersBenchmark.Run,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: EdramFer.Bench <{string.Join("|", benchmarks.Keys)}> [options]");
    return 2;
}
return run(args[1..]);
