using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdramFer.Training.Model;

/// <summary>
/// libtorch's oneDNN convolutions: 3–4x faster to train than ATen's own kernels (the cpu and paper presets), but on an
/// AMD EPYC with AVX-512 their backward pass returned NaN input gradients (anomaly mode: <c>ConvolutionBackward0</c>)
/// in 31–52 of 60 passes of the tiny test model; limited to AVX2, about 1 pass in 1,000; with oneDNN off, never in
/// 1,180. So on AMD CPUs with AVX-512 oneDNN is limited to AVX2 before its first primitive (unless the user set
/// <c>DNNL_MAX_CPU_ISA</c>), and the trainer redoes a step whose gradients are not finite with oneDNN off
/// (<see cref="Off"/>, <c>Train.FiniteStep</c>).
/// </summary>
public static class OneDnnSwitch
{
    private const string IsaVariable = "DNNL_MAX_CPU_ISA";

    [ModuleInitializer]
    internal static void LimitIsaOnAmd()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(IsaVariable) is not null || !IsAmdWithAvx512()) return;
        // oneDNN reads the native environment, which Environment.SetEnvironmentVariable does not change on Linux.
        _ = setenv(IsaVariable, "AVX2", 0);
        Environment.SetEnvironmentVariable(IsaVariable, "AVX2");
    }

    /// <summary>Whether libtorch uses oneDNN where it can (process-wide); false where the switch cannot be reached.</summary>
    public static bool Enabled
    {
        get => Reachable.Value && UserEnabledMkldnn(GlobalContext());
        set { if (Reachable.Value) SetUserEnabledMkldnn(GlobalContext(), value); }
    }

    /// <summary>Turns oneDNN off until the returned scope ends, then restores what was set.</summary>
    public static IDisposable Off()
    {
        bool was = Enabled;
        Enabled = false;
        return new Restore(was);
    }

    private sealed class Restore(bool was) : IDisposable
    {
        public void Dispose() => Enabled = was;
    }

    // libtorch exports at::globalContext() and at::Context's switch with Itanium C++ names (Linux, macOS); TorchSharp
    // does not wrap them. Elsewhere (MSVC names) the switch is out of reach and oneDNN stays as libtorch set it.
    private static readonly Lazy<bool> Reachable = new(Probe);   // loads libtorch: only when the switch is used

    private static bool Probe()
    {
        TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);   // loads libtorch where TorchSharp finds it
        try { return GlobalContext() != IntPtr.Zero; }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return false; }
    }

    private static bool IsAmdWithAvx512()
    {
        try
        {
            var cpu = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToList();   // the first processor's block
            return cpu.Any(l => l.StartsWith("vendor_id") && l.Contains("AuthenticAMD")) && cpu.Any(l => l.StartsWith("flags") && l.Contains(" avx512f"));
        }
        catch (IOException) { return false; }
    }

    [DllImport("libc")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);
}
