using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdramFer.Training.Model;

/// <summary>
/// libtorch's oneDNN AVX-512 kernels give NaN gradients now and then on AMD CPUs with AVX-512 (measured on an AMD EPYC:
/// one backward pass of the tiny test model in three had NaN in every gradient behind the classifier head; none in 30
/// with <c>DNNL_MAX_CPU_ISA=AVX2</c>). On such a CPU oneDNN is limited to AVX2 before the first primitive, unless the user
/// chose a limit.
/// </summary>
internal static class OneDnnGuard
{
    private const string Variable = "DNNL_MAX_CPU_ISA";

    [ModuleInitializer]
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null || !IsAmdWithAvx512()) return;
        // oneDNN reads the native environment, which Environment.SetEnvironmentVariable does not change on Linux.
        _ = setenv(Variable, "AVX2", 0);
        Environment.SetEnvironmentVariable(Variable, "AVX2");
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
}
