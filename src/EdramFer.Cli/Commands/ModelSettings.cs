using System.ComponentModel;
using EdramFer.CommandLine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>The model and the device it runs on: the options of every command that loads a model (with the detector options).</summary>
public class ModelSettings : DetectorSettings
{
    [CommandOption("--model <PATH>"), Description("EDRAM ONNX model (score, evaluate: or a pipeline .zip written by `edram pipeline`)")]
    public string Model { get; init; } = "";
    [CommandOption("--gpu <DEVICE>"), DefaultValue("none"), Description("CUDA device id, auto (GPU 0 when CUDA loads, else CPU) or none (pipeline: saved in the zip)")]
    public string Gpu { get; init; } = "none";

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required (an EDRAM .onnx model)");
        try { ParseGpu(); }
        catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
        return base.Validate();
    }

    /// <summary>(device id, fallback) for --gpu: none → (null, false); auto → (0, true); N → (N, false).</summary>
    public (int? Device, bool Fallback) ParseGpu() => ParseGpu(Gpu);

    /// <summary>The one parser of --gpu values.</summary>
    public static (int? Device, bool Fallback) ParseGpu(string gpu) => gpu.Trim().ToLowerInvariant() switch
    {
        "none" or "cpu" => (null, false),
        "auto" => (0, true),
        var g when int.TryParse(g, out var id) && id >= 0 => (id, false),
        _ => throw new ArgumentException($"--gpu must be a device id, auto or none; got '{gpu}'"),
    };
}
