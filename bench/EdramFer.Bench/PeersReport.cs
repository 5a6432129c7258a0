using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using EdramFer.Contracts;
using EdramFer.ML;

namespace EdramFer.Bench;

/// <summary>The "## Peers side by side" section: protocol, one table and one ratio table per set, target, caveats, machine.</summary>
internal static class PeersReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Write(PeersBenchmark.Options o, EdramModelInfo shipped, JsonObject runtime, Dictionary<string, JsonObject> peers,
        List<SetResult> results, string loadStart, string loadEnd)
    {
        var b = new StringBuilder();
        Protocol(b, o, shipped, runtime, peers);
        foreach (var r in results) Set(b, r);
        if (o.Limit is null) ShippedCheck(b, shipped, results[0]);
        Target(b, results[0], o.Int8 is not null);
        Caveats(b, o, results);
        var ort = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version;
        b.AppendLine($"Machine: {Environment.ProcessorCount} logical cores ({RuntimeInformation.OSDescription}), .NET {Environment.Version}, " +
                     $"ONNX Runtime {ort?.ToString(3)} (CPU), Node {runtime["node"]}, tfjs {runtime["tfjs"]} wasm (SIMD {runtime["simd"]}). " +
                     $"Load average (1 min) at the start / end: {loadStart} / {loadEnd}; above the core count means other work shared the machine, " +
                     "so compare rows within this run only.");
        var options = $"--rounds {o.Rounds} --threads {o.Threads}" + (o.Limit is { } l ? $" --limit {l}" : "") + (o.Muxspace ? " --muxspace" : "") +
                      (o.Int8 is not null ? " --int8 PATH" : "");
        b.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `{PeersBenchmark.Command} {options}` (options `--limit N`, `--rounds R`, `--threads N`, " +
                     "`--int8 PATH`, `--muxspace`, `--batches 1,8,32,64`, `--peer-batches 1,32`, `--data DIR`, `--no-write`).");
        return b.ToString();
    }

    private static void Protocol(StringBuilder b, PeersBenchmark.Options o, EdramModelInfo shipped, JsonObject runtime, Dictionary<string, JsonObject> peers)
    {
        string Batches(int[] xs) => string.Join("/", xs);
        b.AppendLine("EdramFer against the two JavaScript facial-expression models a web or Node developer would reach for, in one run, on");
        b.AppendLine($"the same images at the same thread count ({o.Threads}): face-api.js's FaceExpressionNet ({peers["face-api.js"]["package"]}) and");
        b.AppendLine($"Human's emotion model ({peers["Human"]["package"]}, oarriaga's big_XCEPTION), both on TensorFlow.js's wasm backend in Node,");
        b.AppendLine("driven by `bench/peers/peers.mjs` (packages pinned by its package-lock.json; the benchmark runs `npm ci` there when");
        b.AppendLine("node_modules is missing or older than the lock file, and skips, writing nothing, without Node.js).");
        b.AppendLine();
        b.AppendLine("Model only. Each tool's input is in memory before the clock starts, and a pass ends with the class probabilities read");
        b.AppendLine("back. EdramFer: faces preprocessed beforehand by its own pipeline (OpenCV decode, grey, 100x100 INTER_AREA, CLAHE,");
        b.AppendLine($"/255), then ONNX Runtime's CPU provider with {o.Threads} intra-op thread(s), `probabilities` output only.");
        b.AppendLine($"Peers: images decoded beforehand by {runtime["decoder"]}; a pass covers tensor creation,");
        b.AppendLine("the peer's own input steps (face-api: pad to square, 112x112 bilinear, mean RGB subtracted; Human's emotion.ts repeated,");
        b.AppendLine("as Human runs it only behind its face detector: /255, 64x64 bilinear, grey, scaled to [-1, 1]), the network and");
        b.AppendLine($"`.data()`. A pass is one whole pass over the set at one batch size (EdramFer {Batches(o.Batches)}, peers {Batches(o.PeerBatches)}).");
        b.AppendLine("After one untimed warm-up pass of up to 64 images per tool and batch size, every tool runs every batch size once per");
        b.AppendLine($"round, {o.Rounds} rounds, the order reversed every other");
        b.AppendLine("round so that a change of background load reaches every tool alike. A tool's figure is its best round at its best batch");
        b.AppendLine("size; the median of its rounds there is beside it. Accuracy and mean per-class accuracy (the mean of the per-class");
        b.AppendLine("recalls) come from that batch size's last pass: argmax, peer labels mapped to FER2013's names (face-api: disgusted →");
        b.AppendLine("disgust, fearful → fear, surprised → surprise; Human: its 1-channel order angry, disgust, fear, happy, sad, surprise,");
        b.AppendLine("neutral). fp32 plain is an export of the shipped checkpoint (`onnx/edram-fer2013.ckpt`) with the shipped model's options");
        b.AppendLine("except the mirror branch; fp32 mirror-averaged is `onnx/edram-fer2013.onnx` itself (image and mirror: twice the work).");
        var files = peers.Select(p => $"{p.Key} " + string.Join(", ", p.Value["model_files"]!.AsObject().Select(f => $"{f.Key} `{f.Value!.GetValue<string>()[..8]}…`")));
        b.AppendLine($"Model files (SHA-256): edram-fer2013.onnx `{shipped.Sha256[..8]}…`; {string.Join("; ", files)}.");
        b.AppendLine();
    }

    private static void Set(StringBuilder b, SetResult r)
    {
        b.AppendLine($"### {r.Set.Name}");
        b.AppendLine();
        b.AppendLine($"{r.Set.Note}. EdramFer's preprocessing (not timed below) ran at {r.PreprocessPerSecond:F0} images/s, peers' decoding at {r.DecodeMsPerImage:F2} ms per image.");
        b.AppendLine();
        b.AppendLine("| tool | threads | images timed | batch | images/s (best) | images/s (median) | best images/s by batch | accuracy | mean per class |");
        b.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var t in r.Tools)
        {
            var byBatch = string.Join(" · ", t.BestByBatch.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value:F0}"));
            b.AppendLine($"| {t.Tool} | {t.Threads} | {t.Images:N0} | {t.Batch} | {t.Best:F1} | {t.Median:F1} | {byBatch} | {Pct(t.Metrics.Accuracy)} | {Pct(t.Metrics.MeanPerClassAccuracy)} |");
        }
        b.AppendLine();
        var edram = r.Tools.Where(t => t.Tool.StartsWith("EdramFer", StringComparison.Ordinal)).ToList();
        var peers = r.Tools.Except(edram).ToList();
        b.AppendLine($"| images/s ratio | {string.Join(" | ", peers.Select(p => "vs " + p.Tool))} |");
        b.AppendLine($"|---|{string.Concat(peers.Select(_ => "---|"))}");
        foreach (var e in edram) b.AppendLine($"| {e.Tool} | {string.Join(" | ", peers.Select(p => $"{e.Best / p.Best:F2}x"))} |");
        b.AppendLine();
    }

    /// <summary>On the whole of PublicTest, the fp32 accuracies must be the ones recorded in the shipped model at export.</summary>
    private static void ShippedCheck(StringBuilder b, EdramModelInfo shipped, SetResult fer)
    {
        string Recorded(string key) => shipped.Metadata.TryGetValue(key, out var v) ? Pct(double.Parse(v, Inv)) : "not recorded";
        var plain = fer.Tools.First(t => t.Tool == "EdramFer fp32 plain").Metrics.Accuracy;
        var mirror = fer.Tools.First(t => t.Tool == "EdramFer fp32 mirror-averaged").Metrics.Accuracy;
        b.AppendLine($"Check: fp32 plain {Pct(plain)} and mirror-averaged {Pct(mirror)} here; the shipped model records " +
                     $"{Recorded(OnnxContract.Metadata.AccuracyWithoutFlip)} and {Recorded(OnnxContract.Metadata.Accuracy)} " +
                     "(`edram.accuracy_without_flip`, `edram.accuracy`).");
        b.AppendLine();
    }

    /// <summary>Issue 15's target, judged on the first set when an int8 model was measured.</summary>
    private static void Target(StringBuilder b, SetResult r, bool int8)
    {
        b.Append("Target (model only, one thread, each tool at its best batch size): int8 mirror-averaged EdramFer ≥ 2x the images/s of ");
        b.Append("Human's emotion model and ≥ 2.5x face-api.js, accuracy within 0.5 points of fp32. ");
        var q = r.Tools.FirstOrDefault(t => t.Tool == "EdramFer int8 mirror-averaged");
        var fp32 = r.Tools.First(t => t.Tool == "EdramFer fp32 mirror-averaged");
        if (!int8 || q is null)
        {
            b.AppendLine(int8 ? "The int8 model given is not mirror-averaged: not judged." : "Not judged in this run: no int8 model (`--int8 PATH`).");
            b.AppendLine();
            return;
        }
        double human = q.Best / r.Tools.Single(t => t.Tool == "Human").Best, faceApi = q.Best / r.Tools.Single(t => t.Tool == "face-api.js").Best;
        var delta = 100 * (q.Metrics.Accuracy - fp32.Metrics.Accuracy);
        b.AppendLine($"On {r.Set.Name}: {human:F2}x Human ({(human >= 2 ? "met" : "not met")}), {faceApi:F2}x face-api.js " +
                     $"({(faceApi >= 2.5 ? "met" : "not met")}), int8 accuracy {delta.ToString("+0.00;-0.00;0.00", Inv)} points from fp32 " +
                     $"({(Math.Abs(delta) <= 0.5 ? "met" : "not met")}).");
        b.AppendLine();
    }

    private static void Caveats(StringBuilder b, PeersBenchmark.Options o, List<SetResult> results)
    {
        b.AppendLine("Caveats:");
        b.AppendLine("- **Human's FER2013 figures are optimistic.** oarriaga's training script validates on the last 20 % of fer2013.csv, i.e.");
        b.AppendLine("  PublicTest + PrivateTest, and its checkpoint, early stopping and learning-rate schedule all watch that loss: PublicTest");
        b.AppendLine("  chose the model. PublicTest also chose EdramFer's best epoch (slightly optimistic too). face-api.js does not say what its");
        b.AppendLine("  expression model was trained on. Neither EdramFer nor Human trained on muxspace: there they meet on unseen photos.");
        b.AppendLine("- The peers' times include their own resize and normalisation; EdramFer's OpenCV preprocessing is outside its passes");
        b.AppendLine("  (its rate is given per set, and it includes reading and decoding the file).");
        if (o.Threads > 1)
            b.AppendLine("- tfjs-backend-wasm has no threaded build under Node: the peers' threads column says how many they really used.");
        b.AppendLine("- The decoders differ (sharp/libvips for the peers, OpenCV for EdramFer); the peer reference measured up to about 0.2 points");
        b.AppendLine("  of accuracy between two JPEG decoders.");
        if (results.FirstOrDefault(r => r.Set.Detect) is { } photos)
        {
            var missed = photos.Set.Paths.Count - photos.Faces;
            b.AppendLine($"- {photos.Set.Name}: the peers get the whole photo (no detector, as in the peer reference measurement); EdramFer uses");
            b.AppendLine($"  its model's detector chain ({photos.Chain}, from the model's metadata), outside the timed passes and included in its preprocessing");
            b.AppendLine($"  rate. {missed} photo(s) without a face found count as wrong for EdramFer and are not in its timed passes.");
        }
        b.AppendLine();
    }

    private static string Pct(double x) => (100 * x).ToString("F2", Inv) + " %";
}
