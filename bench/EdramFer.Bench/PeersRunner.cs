using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace EdramFer.Bench;

/// <summary>
/// Client of <c>bench/peers/peers.mjs</c>: a long-lived Node process that loads face-api.js and Human's emotion model once,
/// decodes a set of images once and then serves timed passes, one JSON line per request and per reply, so that the
/// benchmark can interleave the peers' passes with its own.
/// </summary>
internal sealed class PeersRunner : IDisposable
{
    private const string MinimumNode = "20.9"; // bench/peers/package.json "engines"
    private readonly Process _node;

    private PeersRunner(Process node, JsonObject ready)
    {
        _node = node;
        Runtime = ready["runtime"]!.AsObject();
        Classes = ready["classes"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
    }

    /// <summary>The runner's folder: package.json, package-lock.json and peers.mjs.</summary>
    public static string Folder => Path.Combine(BenchmarkDocs.RepoRoot(), "bench", "peers");

    /// <summary>tfjs backend, threads really used, SIMD, versions and decoder, as the runner reports them.</summary>
    public JsonObject Runtime { get; }

    /// <summary>Class order of every prediction.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Null when <c>node</c> (at least <see cref="MinimumNode"/>) and <c>npm</c> run; else why the peers cannot be measured.</summary>
    public static string? MissingTools()
    {
        var (nodeExit, nodeVersion) = Tool("node", ["--version"], Folder, TimeSpan.FromSeconds(30));
        if (nodeExit is null) return "`node` is not on PATH (install Node.js >= " + MinimumNode + " with npm)";
        var v = nodeVersion.Trim().TrimStart('v');
        if (nodeExit != 0 || !Version.TryParse(v, out var have) || have < Version.Parse(MinimumNode))
            return $"`node --version` gave '{nodeVersion.Trim()}', expected >= {MinimumNode}";
        var (npmExit, _) = Tool("npm", ["--version"], Folder, TimeSpan.FromSeconds(60));
        return npmExit == 0 ? null : "`npm` is not on PATH (it comes with Node.js)";
    }

    /// <summary>
    /// Runs <c>npm ci</c> in <paramref name="folder"/> when node_modules is missing or older than package-lock.json
    /// (npm writes node_modules/.package-lock.json on every install). Returns what it did; throws with npm's output on failure.
    /// </summary>
    public static string EnsureInstalled(string folder)
    {
        var lockFile = Path.Combine(folder, "package-lock.json");
        if (!File.Exists(lockFile)) throw new FileNotFoundException($"{lockFile} not found: the peer runner pins its packages there", lockFile);
        var installed = Path.Combine(folder, "node_modules", ".package-lock.json");
        if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(lockFile))
            return "node_modules up to date";
        var (exit, output) = Tool("npm", ["ci", "--no-audit", "--no-fund"], folder, TimeSpan.FromMinutes(10));
        if (exit != 0) throw new InvalidOperationException($"`npm ci` in {folder} failed ({exit?.ToString(CultureInfo.InvariantCulture) ?? "timeout"}):\n{output}");
        return "npm ci: " + output.Trim().Split('\n').LastOrDefault(l => l.StartsWith("added", StringComparison.Ordinal));
    }

    /// <summary>Starts the runner with tfjs-backend-wasm asked for <paramref name="threads"/> threads; returns once the backend is up.</summary>
    public static PeersRunner Start(string folder, int threads)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "peers.mjs", "--threads", threads.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        var node = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        node.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) Console.Error.WriteLine($"[peers] {e.Data}"); };
        node.BeginErrorReadLine();
        try
        {
            var ready = ReadReply(node, "start");
            if (ready["ready"]?.GetValue<bool>() != true) throw new InvalidDataException($"peers.mjs started with {ready.ToJsonString()}, expected {{\"ready\":true,...}}");
            return new PeersRunner(node, ready);
        }
        catch
        {
            if (!node.HasExited) node.Kill();
            node.Dispose();
            throw;
        }
    }

    /// <summary>Decodes <paramref name="paths"/> (sharp) into the runner's memory, replacing the previous set; returns ms per image.</summary>
    public double Decode(IReadOnlyList<string> paths) =>
        Request(new JsonObject { ["op"] = "decode", ["paths"] = new JsonArray(paths.Select(p => (JsonNode)p).ToArray()) })["decode_ms_per_image"]!.GetValue<double>();

    /// <summary>Loads <paramref name="peer"/> ("faceapi" or "human"); returns its description (package, network, model file hashes, input).</summary>
    public JsonObject Load(string peer) => Request(new JsonObject { ["op"] = "load", ["peer"] = peer })["info"]!.AsObject();

    /// <summary>One timed pass of <paramref name="peer"/> over the first <paramref name="count"/> decoded images (all when null).</summary>
    public TimedPass Pass(string peer, int batch, int? count = null)
    {
        var request = new JsonObject { ["op"] = "pass", ["peer"] = peer, ["batch"] = batch };
        if (count is { } c) request["count"] = c;
        var reply = Request(request);
        var predictions = reply["predictions"]!.AsArray().Select(p => p!.GetValue<int>()).ToArray();
        if (predictions.Any(p => p < 0 || p >= Classes.Count))
            throw new InvalidDataException($"peers.mjs predicted a class outside 0..{Classes.Count - 1} for {peer}");
        return new TimedPass(reply["images"]!.GetValue<int>(), reply["images_per_s"]!.GetValue<double>(), predictions);
    }

    private JsonObject Request(JsonObject request)
    {
        _node.StandardInput.WriteLine(request.ToJsonString());
        _node.StandardInput.Flush();
        var reply = ReadReply(_node, request["op"]!.GetValue<string>());
        if (reply["error"] is { } error) throw new InvalidOperationException($"peers.mjs {request["op"]}: {error.GetValue<string>()}");
        return reply;
    }

    private static JsonObject ReadReply(Process node, string what)
    {
        var line = node.StandardOutput.ReadLine()
                   ?? throw new InvalidOperationException($"peers.mjs ended during '{what}' (exit {(node.WaitForExit(5000) ? node.ExitCode : -1)}); its stderr is above");
        return JsonNode.Parse(line) as JsonObject ?? throw new InvalidDataException($"peers.mjs replied '{line}' to '{what}', expected a JSON object");
    }

    public void Dispose()
    {
        try
        {
            if (!_node.HasExited)
            {
                _node.StandardInput.WriteLine("{\"op\":\"quit\"}");
                _node.StandardInput.Close();
                if (!_node.WaitForExit(10_000)) _node.Kill();
            }
        }
        catch (IOException)
        {
            // the process had already closed its input
        }
        _node.Dispose();
    }

    /// <summary>Runs a tool to completion: (exit code, stdout + stderr), exit null when it is not installed or ran past <paramref name="timeout"/>.</summary>
    private static (int? Exit, string Output) Tool(string file, string[] args, string folder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                return (null, $"{file} ran past {timeout.TotalSeconds:F0} s");
            }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
        catch (Win32Exception)
        {
            return (null, $"{file} not found");
        }
    }
}
