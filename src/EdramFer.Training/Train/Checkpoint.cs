using EdramFer.Contracts;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdramFer.Training.Model;
using TorchSharp;
using TorchSharp.Modules;

namespace EdramFer.Training.Train;

/// <summary>Counters and settings stored with the weights, so a resume continues exactly.</summary>
public sealed record TrainState
{
    public EdramConfig Config { get; init; } = new();
    public TrainOptions Options { get; init; } = new();
    public string[] Labels { get; init; } = [];
    public float[] ClassWeights { get; init; } = [];
    /// <summary>Epochs fully completed.</summary>
    public int Epoch { get; init; }
    /// <summary>Next batch of epoch <see cref="Epoch"/> (0 at an epoch boundary).</summary>
    public int Batch { get; init; }
    /// <summary>Running sums of the interrupted epoch: loss·images, correct, images.</summary>
    public double EpochLossSum { get; init; }
    public long EpochCorrect { get; init; }
    public long EpochSeen { get; init; }
    public double EpochSeconds { get; init; }
    public double LearningRate { get; init; }
    public double PlateauBest { get; init; } = double.PositiveInfinity;
    public int PlateauBadEpochs { get; init; }
    public double BestAccuracy { get; init; } = -1;
    public int BestEpoch { get; init; }
    public ClassificationMetrics? LastValidation { get; init; }
    /// <summary>The last validation with mirror averaging (<see cref="Evaluator.Run"/> flipAveraging), as <c>--flip-averaging</c> exports compute.</summary>
    public ClassificationMetrics? LastValidationFlip { get; init; }
    public bool HasValenceArousal { get; init; }
}

/// <summary>
/// One checkpoint file: magic, JSON <see cref="TrainState"/>, model weights (TorchSharp format), optimiser
/// state. Written to a temporary file and renamed, so a kill never leaves a torn checkpoint.
/// </summary>
public static class Checkpoint
{
    const string Magic = "EDRAMCKPT1";
    static readonly JsonSerializerOptions Json = new() { WriteIndented = false, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Writes state, weights, optimiser state and, when given, the averaged weights (<see cref="WeightAverage"/>).</summary>
    public static void Save(string path, TrainState state, EdramNet model, OptimizerHelper? optimizer, EdramNet? average = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        using (var w = new BinaryWriter(File.Create(tmp), Encoding.UTF8))
        {
            w.Write(Magic);
            w.Write(JsonSerializer.Serialize(state, Json));
            WriteBlock(w, s => model.save(s));
            WriteBlock(w, s => { if (optimizer != null) optimizer.save_state_dict(new BinaryWriter(s, Encoding.UTF8, leaveOpen: true)); });
            WriteBlock(w, s => average?.save(s));
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Writes a weights-only checkpoint for shipping: no optimiser state, and no paths of the training machine (the dataset
    /// spec keeps its kind and folder name, the cache folder is dropped). <see cref="LoadModel"/> reads it like any checkpoint.
    /// </summary>
    public static void SaveForInference(string path, TrainState state, EdramNet model)
    {
        var spec = state.Options.Dataset;
        int colon = spec.IndexOf(':');
        var dataset = colon > 0 ? $"{spec[..colon]}:{Path.GetFileName(spec[(colon + 1)..].TrimEnd('/', '\\'))}" : spec;
        var validation = state.Options.Validation is { } v && v.IndexOf(':') is > 0 and var vc
            ? $"{v[..vc]}:{Path.GetFileName(v[(vc + 1)..].TrimEnd('/', '\\'))}" : state.Options.Validation;
        var shipped = state with { Options = state.Options with { Dataset = dataset, Validation = validation, CacheDir = "" } };
        Save(path, shipped, model, null); // the weights given (an averaged run's average, as LoadModel returns it)
    }

    /// <summary>Reads the state only (cheap: metadata for export and reports).</summary>
    public static TrainState ReadState(string path)
    {
        using var r = Open(path);
        return ReadHeader(r, path);
    }

    /// <summary>Loads state and a model built from the stored config; optionally the optimiser state into <paramref name="optimizer"/>.</summary>
    public static (TrainState State, EdramNet Model) Load(string path, Func<EdramNet, OptimizerHelper>? makeOptimizer, out OptimizerHelper? optimizer)
    {
        using var r = Open(path);
        var state = ReadHeader(r, path);
        var model = new EdramNet(state.Config);
        using (var ms = new MemoryStream(ReadBlock(r))) model.load(ms);
        optimizer = null;
        var opt = ReadBlock(r);
        if (makeOptimizer != null)
        {
            optimizer = makeOptimizer(model);
            if (opt.Length > 0) using (var br = new BinaryReader(new MemoryStream(opt))) optimizer.load_state_dict(br);
        }
        return (state, model);
    }

    /// <summary>Loads a model for inference (eval mode): the averaged weights where the run kept them, else the trained ones.</summary>
    public static (TrainState State, EdramNet Model) LoadModel(string path)
    {
        var (state, model) = Load(path, null, out _);
        if (LoadAverage(path, state) is { } average)
        {
            model.Dispose();
            model = average;
        }
        model.eval();
        return (state, model);
    }

    /// <summary>The averaged weights of a checkpoint (<see cref="WeightAverage"/>), or null when it holds none.</summary>
    public static EdramNet? LoadAverage(string path, TrainState state)
    {
        using var r = Open(path);
        ReadHeader(r, path);
        ReadBlock(r);
        ReadBlock(r);
        if (r.BaseStream.Position >= r.BaseStream.Length) return null; // written before averaging existed
        var bytes = ReadBlock(r);
        if (bytes.Length == 0) return null;
        var average = new EdramNet(state.Config);
        using (var ms = new MemoryStream(bytes)) average.load(ms);
        return average;
    }

    /// <summary>Resolves a checkpoint file or a run directory (best.ckpt, else last.ckpt).</summary>
    public static string Resolve(string fileOrRunDir)
    {
        if (File.Exists(fileOrRunDir)) return fileOrRunDir;
        foreach (var name in new[] { "best.ckpt", "last.ckpt" })
        {
            var p = Path.Combine(fileOrRunDir, "checkpoints", name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"No checkpoint at '{fileOrRunDir}': expected a .ckpt file or a run directory with checkpoints/best.ckpt or last.ckpt.");
    }

    static BinaryReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        return new BinaryReader(File.OpenRead(path), Encoding.UTF8);
    }

    static TrainState ReadHeader(BinaryReader r, string path)
    {
        string magic;
        try { magic = r.ReadString(); } catch (Exception e) when (e is EndOfStreamException or IOException) { magic = ""; }
        if (magic != Magic) throw new InvalidDataException($"'{path}' is not an EdramFer checkpoint (expected header {Magic}).");
        var node = JsonNode.Parse(r.ReadString()) as JsonObject ?? throw new InvalidDataException($"'{path}' has an empty state header.");
        if (node[nameof(TrainState.Config)] is JsonObject config) EdramConfig.UpgradeJson(config);
        return node.Deserialize<TrainState>(Json) ?? throw new InvalidDataException($"'{path}' has an empty state header.");
    }

    static void WriteBlock(BinaryWriter w, Action<Stream> write)
    {
        var ms = new MemoryStream();
        write(ms);
        var bytes = ms.ToArray(); // TorchSharp's save closes the stream; ToArray still works
        w.Write((long)bytes.Length);
        w.Write(bytes);
    }

    static byte[] ReadBlock(BinaryReader r)
    {
        long n = r.ReadInt64();
        var bytes = r.ReadBytes(checked((int)n));
        if (bytes.Length != n) throw new EndOfStreamException("Checkpoint is truncated.");
        return bytes;
    }
}
