using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace EdramFer.Analysis;

/// <summary>
/// Lets hosts without a deps.json for these assemblies (a .NET Interactive kernel that <c>#r</c>s the built DLLs)
/// find the native libraries of OpenCvSharp and ONNX Runtime beside the assemblies (the build's one-platform layout) or
/// in <c>runtimes/&lt;rid&gt;/native</c> (a portable layout). Applications (the CLI, tests) resolve them through their deps.json and do not need it.
/// </summary>
public static class NativeProbing
{
    private static int _registered;

    /// <summary>
    /// Installs a DLL-import resolver on OpenCvSharp and ONNX Runtime (per assembly, so it works whatever load context a
    /// kernel put them in) and a fallback on the load contexts; idempotent. Call it before the first OpenCV or ONNX
    /// Runtime call.
    /// </summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        foreach (var assembly in new[] { typeof(OpenCvSharp.Cv2).Assembly, typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly })
        {
            try
            {
                NativeLibrary.SetDllImportResolver(assembly, (name, asm, _) => Resolve(asm, name));
            }
            catch (InvalidOperationException)
            {
                // The library installed its own resolver: it knows best.
            }
        }
        // A fallback only: it runs after the normal probing failed, so it never overrides a deps.json.
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;
        var own = AssemblyLoadContext.GetLoadContext(typeof(NativeProbing).Assembly);
        if (own is not null && own != AssemblyLoadContext.Default) own.ResolvingUnmanagedDll += Resolve;
    }

    private static IntPtr Resolve(Assembly assembly, string name)
    {
        var rid = RuntimeInformation.RuntimeIdentifier; // e.g. linux-x64
        var portable = $"{(OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux")}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
        var folders = new[] { Path.GetDirectoryName(assembly.Location), Path.GetDirectoryName(typeof(NativeProbing).Assembly.Location) }
            .Where(d => !string.IsNullOrEmpty(d)).Distinct();
        foreach (var dir in folders)
            foreach (var native in new[] { dir! }.Concat(new[] { rid, portable }.Distinct().Select(r => Path.Combine(dir!, "runtimes", r, "native"))))
                foreach (var file in Candidates(name))
                {
                    var path = Path.Combine(native, file);
                    if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
                }
        return IntPtr.Zero;
    }

    private static IEnumerable<string> Candidates(string name)
    {
        yield return name;
        if (OperatingSystem.IsWindows()) { yield return name + ".dll"; yield break; }
        var ext = OperatingSystem.IsMacOS() ? ".dylib" : ".so";
        yield return name + ext;
        yield return "lib" + name + ext;
    }
}
