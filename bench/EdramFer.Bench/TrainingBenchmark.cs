using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdramFer.Training.Model;
using EdramFer.Training.Train;
using static TorchSharp.torch;

namespace EdramFer.Bench;

/// <summary>
/// TorchSharp training-step and eval throughput for each preset (batch 64, augmentation and the full loss as in
/// the trainer), at 1 thread and all cores, with parameter counts and FLOPs per image. Writes the
/// "## Training (TorchSharp)" section of docs/benchmarks.md. Options: --presets cpu,paper --batches N --no-write.
/// </summary>
internal static class TrainingBenchmark
{
    const string Heading = "## Training (TorchSharp)";

    public static int Run(string[] args)
    {
        var presets = new[] { "cpu", "paper" };
        int batches = 6;
        bool write = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--presets": presets = args[++i].Split(','); break;
                case "--batches": batches = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-write": write = false; break;
                default: Console.Error.WriteLine($"unknown option '{args[i]}': expected --presets, --batches, --no-write"); return 2;
            }
        }
        int cores = Environment.ProcessorCount;
        var threadCounts = cores > 1 ? new[] { 1, cores } : new[] { 1 };
        var table = new StringBuilder();
        table.AppendLine("| preset | steps | parameters | forward GFLOP/image | threads | train images/s (batch 64) | eval images/s (batch 64) | eval ms/image (batch 1) |");
        table.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var preset in presets)
        {
            var config = EdramConfig.FromPreset(preset);
            foreach (int threads in threadCounts)
            {
                set_num_threads(threads);
                var (train, eval64, eval1) = Measure(config, batches);
                table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {preset} | {config.Steps} | {ModelComplexity.Parameters(config):N0} | {ModelComplexity.FlopsPerImage(config) / 1e9:F2} | {threads} | {train:F1} | {eval64:F1} | {1000 / eval1:F1} |"));
                Console.WriteLine($"{preset} threads {threads}: train {train:F1} img/s, eval {eval64:F1} img/s, batch-1 {1000 / eval1:F1} ms");
            }
        }
        var body = new StringBuilder()
            .AppendLine("One training step = forward, class-weighted cross-entropy at every glimpse + zoom loss, backward, gradient clip,")
            .AppendLine("Adam; with online augmentation, on random 100x100 inputs (the trainer's exact step). Eval = forward in eval mode.")
            .AppendLine($"Best of {batches} timed batches after 2 warm-up batches. FLOPs counted from the layer sizes (`ModelComplexity`).")
            .AppendLine()
            .Append(table)
            .AppendLine()
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"Machine: {cores} logical cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), .NET {Environment.Version}, TorchSharp CPU backend (libtorch 2.10). Load average at the end: {BenchmarkDocs.LoadAverage()}."))
            .AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `dotnet run --project bench/EdramFer.Bench -c Release -- train`.");
        if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection(Heading, body.ToString())}");
        else Console.WriteLine(body);
        return 0;
    }

    static (double Train, double Eval64, double Eval1) Measure(EdramConfig config, int batches)
    {
        manual_seed(1);
        using var net = new EdramNet(config);
        var opt = optim.Adam(net.parameters(), 1e-4);
        using var x = rand(64, 1, 100, 100);
        using var y = randint(0, config.Classes, new long[] { 64 });
        using var weights = ones(config.Classes);
        using var generator = new Generator(1);
        var augmenter = new Augmenter();
        double Best(Action step, int n)
        {
            double best = double.MaxValue;
            for (int i = 0; i < n + 2; i++)
            {
                var sw = Stopwatch.StartNew();
                step();
                if (i >= 2) best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return best;
        }
        double train = 64 / Best(() =>
        {
            using var scope = NewDisposeScope();
            net.train(); opt.zero_grad();
            var input = augmenter.Apply(x, generator);
            using var o = net.forward(input);
            using var loss = EdramLoss.Compute(o, y, weights, null, new LossOptions());
            loss.Total.backward();
            nn.utils.clip_grad_norm_(net.parameters(), 10);
            opt.step();
        }, batches);
        net.eval();
        double eval64, eval1;
        using (no_grad())
        {
            eval64 = 64 / Best(() => net.forward(x).Dispose(), batches);
            using var one = x[..1];
            eval1 = 1 / Best(() => net.forward(one).Dispose(), batches * 4);
        }
        return (train, eval64, eval1);
    }

}
