using System.Runtime.CompilerServices;
using EdramFer.Training.Model;

// libtorch's random generator and thread count are process-wide: tests that seed, build and train models must not
// interleave (two same-seed runs came out different when another class reseeded the global generator in parallel).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace EdramFer.Training.Tests;

static class TestAssembly
{
    /// <summary>
    /// The tests train tiny models with oneDNN off: exact same-seed and resume comparisons need the same kernels on
    /// every pass, and oneDNN's backward gives NaN now and then on some CPUs (OneDnnSwitch); the tiny model also
    /// trains about 2x faster on ATen's kernels. OneDnnSwitchTests and FiniteStepTests turn it on where they need it.
    /// </summary>
    [ModuleInitializer]
    internal static void TurnOneDnnOff() => OneDnnSwitch.Enabled = false;
}
