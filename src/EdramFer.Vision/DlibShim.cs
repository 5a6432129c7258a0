using System.Runtime.InteropServices;
using System.Text;

namespace EdramFer.Vision;

/// <summary>
/// The C ABI over dlib (native/dlib-shim/edram_dlib.cpp, built by <c>scripts/setup.sh</c>), loaded once per process
/// from beside this assembly, the application folder, the NuGet runtimes folder or <c>$EDRAM_DLIB_SHIM</c>.
/// A missing or unloadable shim is reported by <see cref="UnavailableReason"/>, never by a crash.
/// </summary>
internal sealed unsafe class DlibShim
{
    public const string FileName = "libedram_dlib.so";
    public const string EnvironmentVariable = "EDRAM_DLIB_SHIM";
    private const int AbiVersion = 1;
    private const int ErrorLength = 512;

    private static readonly Lazy<(DlibShim? Shim, string? Reason)> Loaded = new(() => Load(Candidates()));

    private delegate* unmanaged<int> _abiVersion;
    private delegate* unmanaged<byte*, int, nint> _detectorCreate;
    private delegate* unmanaged<nint, void> _detectorFree;
    private delegate* unmanaged<nint, byte*, int, int, int, int, double, float*, int, byte*, int, int> _detect;
    private delegate* unmanaged<byte*, byte*, int, nint> _predictorCreate;
    private delegate* unmanaged<nint, void> _predictorFree;
    private delegate* unmanaged<nint, int> _predictorParts;
    private delegate* unmanaged<nint, byte*, int, int, int, int, int, int, int, float*, int, byte*, int, int> _landmarks;

    private DlibShim() { }

    /// <summary>True when the shim loaded.</summary>
    public static bool IsAvailable => Loaded.Value.Shim is not null;

    /// <summary>Why the shim is unavailable (naming the set-up step), or null when it loaded.</summary>
    public static string? UnavailableReason => Loaded.Value.Reason;

    /// <summary>The loaded shim; throws <see cref="FileNotFoundException"/> with <see cref="UnavailableReason"/> otherwise.</summary>
    public static DlibShim Instance => Loaded.Value.Shim ?? throw new FileNotFoundException(Loaded.Value.Reason, FileName);

    /// <summary>Where the shim is looked for, in order; only <c>$EDRAM_DLIB_SHIM</c> when it is set (even if missing, so the error names it).</summary>
    public static IReadOnlyList<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return [Path.GetFullPath(env)];
        var list = new List<string>();
        var dirs = new List<string>();
        var assemblyDir = Path.GetDirectoryName(typeof(DlibShim).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDir)) dirs.Add(assemblyDir);
        dirs.Add(AppContext.BaseDirectory);
        foreach (var d in dirs.Distinct())
        {
            list.Add(Path.GetFullPath(Path.Combine(d, FileName)));
            list.Add(Path.GetFullPath(Path.Combine(d, "runtimes", "linux-x64", "native", FileName)));
        }
        return list.Distinct().ToList();
    }

    /// <summary>Loads the first existing candidate; otherwise null and the reason, naming the set-up step.</summary>
    internal static (DlibShim? Shim, string? Reason) Load(IReadOnlyList<string> candidates)
    {
        const string setup = "run `bash scripts/setup.sh` (installs libdlib-dev and builds native/dlib-shim) and rebuild, " +
                             "or set $" + EnvironmentVariable + " to a built " + FileName;
        if (!OperatingSystem.IsLinux()) return (null, $"the dlib detector is built for Linux only; {setup}");
        var path = candidates.FirstOrDefault(File.Exists);
        if (path is null) return (null, $"dlib shim {FileName} not found (looked in {string.Join(", ", candidates)}); {setup}");
        nint handle;
        try
        {
            handle = NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            // e.g. libdlib.so.19.1 missing (libdlib19.1 not installed): the message carries the loader's reason.
            return (null, $"dlib shim '{path}' could not be loaded ({e.Message.Trim()}); {setup}");
        }
        try
        {
            var shim = new DlibShim
            {
                _abiVersion = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "edram_dlib_abi_version"),
                _detectorCreate = (delegate* unmanaged<byte*, int, nint>)NativeLibrary.GetExport(handle, "edram_dlib_detector_create"),
                _detectorFree = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(handle, "edram_dlib_detector_free"),
                _detect = (delegate* unmanaged<nint, byte*, int, int, int, int, double, float*, int, byte*, int, int>)NativeLibrary.GetExport(handle, "edram_dlib_detect"),
                _predictorCreate = (delegate* unmanaged<byte*, byte*, int, nint>)NativeLibrary.GetExport(handle, "edram_dlib_predictor_create"),
                _predictorFree = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(handle, "edram_dlib_predictor_free"),
                _predictorParts = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "edram_dlib_predictor_parts"),
                _landmarks = (delegate* unmanaged<nint, byte*, int, int, int, int, int, int, int, float*, int, byte*, int, int>)NativeLibrary.GetExport(handle, "edram_dlib_landmarks"),
            };
            var abi = shim._abiVersion();
            return abi == AbiVersion ? (shim, null) : (null, $"dlib shim '{path}' has ABI {abi}, this library needs {AbiVersion}; {setup}");
        }
        catch (EntryPointNotFoundException e)
        {
            return (null, $"dlib shim '{path}' lacks an entry point ({e.Message.Trim()}); {setup}");
        }
    }

    public nint CreateDetector()
    {
        var err = stackalloc byte[ErrorLength];
        err[0] = 0;
        var d = _detectorCreate(err, ErrorLength);
        return d != 0 ? d : throw new InvalidOperationException($"dlib could not create the frontal face detector: {Text(err)}");
    }

    public void FreeDetector(nint detector) => _detectorFree(detector);

    /// <summary>Runs the HOG detector on grey pixels; rows of (x, y, w, h, score) in the input's pixels.</summary>
    public float[] Detect(nint detector, byte* grey, int width, int height, int stride, int upsample, double threshold)
    {
        var err = stackalloc byte[ErrorLength];
        var rows = new float[5 * 64];
        while (true)
        {
            int n;
            err[0] = 0;
            fixed (float* p = rows) n = _detect(detector, grey, width, height, stride, upsample, threshold, p, rows.Length / 5, err, ErrorLength);
            if (n < 0) throw new InvalidOperationException($"dlib face detection failed on a {width}x{height} image: {Text(err)}");
            if (n * 5 <= rows.Length) return rows[..(n * 5)];
            rows = new float[n * 5]; // more faces than room: run again with room for all
        }
    }

    public nint CreatePredictor(string path)
    {
        var err = stackalloc byte[ErrorLength];
        err[0] = 0;
        var utf8 = Encoding.UTF8.GetBytes(path + "\0");
        nint p;
        fixed (byte* s = utf8) p = _predictorCreate(s, err, ErrorLength);
        return p != 0 ? p : throw new InvalidDataException($"dlib could not load the shape predictor '{path}': {Text(err)}");
    }

    public void FreePredictor(nint predictor) => _predictorFree(predictor);

    public int PredictorParts(nint predictor) => _predictorParts(predictor);

    /// <summary>Landmarks of one face box as (x, y) pairs in the image's pixels.</summary>
    public float[] Landmarks(nint predictor, byte* grey, int width, int height, int stride, FaceBox box)
    {
        var err = stackalloc byte[ErrorLength];
        err[0] = 0;
        var points = new float[2 * PredictorParts(predictor)];
        int n;
        fixed (float* p = points)
            n = _landmarks(predictor, grey, width, height, stride, box.X, box.Y, box.Width, box.Height, p, points.Length / 2, err, ErrorLength);
        return n >= 0 ? points : throw new InvalidOperationException($"dlib landmark prediction failed: {Text(err)}");
    }

    private static string Text(byte* err) => Marshal.PtrToStringUTF8((nint)err) ?? "";
}
