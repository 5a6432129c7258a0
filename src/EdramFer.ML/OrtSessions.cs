using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.ML;

/// <summary>Where a session runs, as chosen by <see cref="OrtSessions.Create"/>.</summary>
public sealed record SessionDevice(string Name, int? GpuDeviceId, string? FallbackReason)
{
    /// <summary>True when the CUDA execution provider is attached.</summary>
    public bool IsGpu => GpuDeviceId is not null;
}

/// <summary>
/// ONNX Runtime sessions with the GPU choice applied the same way everywhere (estimator, batched scorer, CLI).
/// CUDA is only tried when its libraries load: on a CPU-only machine, ONNX Runtime's own attempt prints an error line
/// about libcublasLt before any fallback, which <c>auto</c> must not do.
/// </summary>
public static class OrtSessions
{
    // The CUDA 13 libraries the GPU package's CUDA provider links against (readelf -d libonnxruntime_providers_cuda.so).
    private static readonly string[] LinuxCudaLibraries = ["libcudart.so.13", "libcublasLt.so.13"];
    private static readonly string[] WindowsCudaLibraries = ["cudart64_13.dll", "cublasLt64_13.dll"];
    private static readonly Lazy<string?> MissingCuda = new(FindMissingCudaLibrary);

    /// <summary>Null when the CUDA runtime libraries load in this process, else the first one that does not.</summary>
    public static string? MissingCudaLibrary => MissingCuda.Value;

    /// <summary>
    /// Creates a session for <paramref name="modelPath"/>. <paramref name="gpuDeviceId"/> null runs on CPU. With a device id,
    /// CUDA is used when its libraries load and the provider starts; otherwise <paramref name="fallbackToCpu"/> chooses
    /// between CPU (reason in <see cref="SessionDevice.FallbackReason"/>) and an exception that says what is missing.
    /// </summary>
    /// <param name="modelPath">ONNX file</param>
    /// <param name="gpuDeviceId">CUDA device, or null for CPU</param>
    /// <param name="fallbackToCpu">use the CPU when CUDA is unavailable</param>
    /// <param name="intraOpThreads">ONNX Runtime intra-op threads; 0 = one per logical core</param>
    public static (InferenceSession Session, SessionDevice Device) Create(string modelPath, int? gpuDeviceId, bool fallbackToCpu, int intraOpThreads = 0)
    {
        if (gpuDeviceId is int id)
        {
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(gpuDeviceId), id, "GPU device id must be >= 0");
            string reason;
            if (MissingCudaLibrary is { } missing)
                reason = $"CUDA library {missing} could not be loaded";
            else
            {
                var options = BaseOptions(intraOpThreads);
                try
                {
                    options.AppendExecutionProvider_CUDA(id);
                    return (new InferenceSession(modelPath, options), new SessionDevice($"cuda:{id}", id, null));
                }
                catch (OnnxRuntimeException e)
                {
                    options.Dispose();
                    reason = $"CUDA execution provider failed on device {id}: {e.Message.Trim()}";
                }
            }
            if (!fallbackToCpu)
                throw new InvalidOperationException($"GPU {id} requested for '{modelPath}' without CPU fallback, but {reason}. Use fallbackToCpu (CLI: --gpu auto) or run on CPU.");
            return (new InferenceSession(modelPath, BaseOptions(intraOpThreads)), new SessionDevice("cpu", null, reason));
        }
        return (new InferenceSession(modelPath, BaseOptions(intraOpThreads)), new SessionDevice("cpu", null, null));
    }

    private static SessionOptions BaseOptions(int intraOpThreads)
    {
        var o = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        // 0 = every core, set explicitly: left to ONNX Runtime, a session on a 2-core VM ran on one core (process CPU time
        // 1.0 cores at batch 32; `bench score`), and the shipped model at 2 threads scored 1.7x the images of 1 (`bench peak`).
        o.IntraOpNumThreads = intraOpThreads > 0 ? intraOpThreads : Environment.ProcessorCount;
        // Idle intra-op threads sleep instead of spinning: decoding and detection share these cores (edram score
        // prepares the next batch while this one runs) and ML.NET may run several cursors at once.
        o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return o;
    }

    private static string? FindMissingCudaLibrary()
    {
        string[] names = OperatingSystem.IsWindows() ? WindowsCudaLibraries : OperatingSystem.IsLinux() ? LinuxCudaLibraries : ["(CUDA is not supported on this OS)"];
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) return name;
            NativeLibrary.Free(handle);
        }
        return null;
    }
}
