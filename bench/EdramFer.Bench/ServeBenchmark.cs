using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace EdramFer.Bench;

/// <summary>
/// Load test of <c>edram serve</c>: the real server as a child process, a bounded client loop on loopback posting real
/// photos (raw JPEG bodies to <c>/v1/analyze</c>) at each concurrency, reporting throughput, latency percentiles, errors
/// and the server's working set before and after. Beside it: the same server with batching off (<c>--batch-size 1</c>)
/// and <c>edram score</c> on the same photos, detector, model and batch size. Writes the "## Serving" section of
/// docs/benchmarks.md. Options: --model PATH (default onnx/edram-fer2013.onnx)  --photos DIR (default the muxspace
/// photos in ../shared/data)  --requests N (per concurrency, default 2000)  --concurrency 1,4,16  --batch-size N
/// (default 32)  --no-write.
/// </summary>
internal static class ServeBenchmark
{
    private const string Heading = "## Serving";

    public static int Run(string[] args)
    {
        var root = BenchmarkDocs.RepoRoot();
        var model = Path.Combine(root, "onnx", "edram-fer2013.onnx");
        var photos = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "muxspace_facial_expressions", "images"));
        int requests = 2000, batch = 32, soak = 10_000;
        int[] levels = [1, 4, 16];
        var write = true;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": model = Path.GetFullPath(args[++i]); break;
                case "--photos": photos = Path.GetFullPath(args[++i]); break;
                case "--requests": requests = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--concurrency": levels = args[++i].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--batch-size": batch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--soak": soak = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-write": write = false; break;
                default:
                    Console.Error.WriteLine($"unknown option '{args[i]}': expected --model, --photos, --requests, --concurrency, --batch-size, --soak, --no-write");
                    return 2;
            }
        }
        if (!Directory.Exists(photos))
        {
            Console.Error.WriteLine($"photos not found: {photos} (use --photos)");
            return 1;
        }
        var paths = Directory.GetFiles(photos, "*.jpg").Order(StringComparer.Ordinal).ToList();
        var bodies = paths.Select(File.ReadAllBytes).ToList();
        var rows = new List<string>();
        var batched = new Dictionary<int, double>();
        foreach (var c in levels)
        {
            var r = Load(model, batch, bodies, requests, c);
            batched[c] = r.Throughput;
            rows.Add(Row($"{c}", batch, r));
            Console.WriteLine(rows[^1]);
        }
        var top = levels.Max();
        var unbatched = Load(model, 1, bodies, requests, top);
        rows.Add(Row($"{top}", 1, unbatched));
        Console.WriteLine(rows[^1]);
        var samples = new List<(int Done, double Mb)>();
        var soaked = Load(model, batch, bodies, soak, top, samples);
        Console.WriteLine($"soak: {Row($"{top}", batch, soaked)}");
        var score = ScoreRate(model, paths, requests, batch);
        Console.WriteLine($"edram score: {score:F1} images/s");
        var body = Report(model, paths.Count, requests, batch, rows, score, (top, batched[top], unbatched.Throughput),
            SoakReport(soak, top, batch, soaked, samples));
        Console.WriteLine(body);
        if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection(Heading, body)}");
        return 0;
    }

    private sealed record LoadResult(double Throughput, double P50, double P95, double P99, int Errors, double BeforeMb, double AfterMb, double MeanFaces);

    /// <summary><paramref name="requests"/> posts by <paramref name="concurrency"/> workers against a fresh server; the first 32 (warm-up) are not counted.</summary>
    /// <param name="samples">when given, the server's working set every 0.5 s with the requests completed by then</param>
    private static LoadResult Load(string model, int batch, List<byte[]> bodies, int requests, int concurrency, List<(int Done, double Mb)>? samples = null)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "edram.dll"), "serve", "--model", model, "--urls", $"http://127.0.0.1:{port}",
                     "--batch-size", batch.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        using var server = Process.Start(start)!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"serve: {e.Data}"); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            WaitReady(client, server);
            Post(client, bodies, 32, Math.Min(concurrency, 8), [], out _, out _); // warm-up: arenas, JIT, detector pool
            server.Refresh();
            var before = server.WorkingSet64 / 1048576.0;
            var watch = Stopwatch.StartNew();
            var latencies = new List<double>(requests); // one per answered request: its count is the progress the samples record
            using var stop = new CancellationTokenSource();
            var sampler = samples is null ? Task.CompletedTask : Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    server.Refresh();
                    int done;
                    lock (latencies) done = latencies.Count;
                    samples.Add((done, server.WorkingSet64 / 1048576.0));
                    try { await Task.Delay(500, stop.Token); } catch (OperationCanceledException) { }
                }
            });
            Post(client, bodies, requests, concurrency, latencies, out var errors, out var faces);
            var wall = watch.Elapsed.TotalSeconds;
            stop.Cancel();
            sampler.Wait();
            server.Refresh();
            var after = server.WorkingSet64 / 1048576.0;
            latencies.Sort();
            double Pct(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
            return new LoadResult(requests / wall, Pct(0.50), Pct(0.95), Pct(0.99), errors, before, after, (double)faces / requests);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }
    }

    /// <summary>The client loop: each worker takes the next request number until all are sent; adds each request's latency
    /// in ms to <paramref name="latencies"/> (under its lock) as it is answered.</summary>
    private static void Post(HttpClient client, List<byte[]> bodies, int requests, int concurrency, List<double> latencies, out int errors, out long faces)
    {
        var next = -1;
        var failed = 0;
        long faceCount = 0;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next))
            {
                var content = new ByteArrayContent(bodies[i % bodies.Count]);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                var sw = Stopwatch.StartNew();
                using var response = await client.PostAsync("/v1/analyze", content);
                var text = await response.Content.ReadAsStringAsync();
                var ms = sw.Elapsed.TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref failed);
                Interlocked.Add(ref faceCount, CountFaces(text));
                lock (latencies) latencies.Add(ms);
            }
        })).ToArray();
        Task.WaitAll(workers);
        errors = failed;
        faces = faceCount;
    }

    private static int CountFaces(string json) => json.Split("\"face_index\":").Length - 1;

    private static void WaitReady(HttpClient client, Process server)
    {
        for (var i = 0; i < 240; i++)
        {
            if (server.HasExited) throw new InvalidOperationException($"edram serve exited with {server.ExitCode}");
            try
            {
                if (client.GetAsync("/readyz").Result.StatusCode == HttpStatusCode.OK) return;
            }
            catch (AggregateException e) when (e.InnerException is HttpRequestException)
            {
                // not listening yet
            }
            Thread.Sleep(250);
        }
        throw new TimeoutException("edram serve did not become ready in 60 s");
    }

    /// <summary>
    /// <c>edram score</c>'s images/s on the same photos: a run of <paramref name="rows"/> rows minus a run of one batch,
    /// so start-up and model load cancel out.
    /// </summary>
    private static double ScoreRate(string model, List<string> photos, int rows, int batch)
    {
        var dir = Directory.CreateTempSubdirectory("edram-serve-bench").FullName;
        try
        {
            double Time(int n)
            {
                var csv = Path.Combine(dir, $"{n}.csv");
                File.WriteAllLines(csv, ["path", .. Enumerable.Range(0, n).Select(i => photos[i % photos.Count])]);
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "edram.dll"), "score", "--model", model, "--input", csv,
                             "--output", Path.Combine(dir, $"{n}.out.csv"), "--batch-size", batch.ToString(CultureInfo.InvariantCulture) })
                    start.ArgumentList.Add(a);
                var sw = Stopwatch.StartNew();
                using var p = Process.Start(start)!;
                var output = p.StandardOutput.ReadToEndAsync();
                var errors = p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0) throw new InvalidOperationException($"edram score failed ({p.ExitCode}): {output.Result}{errors}");
                return sw.Elapsed.TotalSeconds;
            }
            var small = Time(batch);
            var large = Time(rows);
            return (rows - batch) / (large - small);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Row(string concurrency, int batch, LoadResult r) =>
        $"| {concurrency} | {batch} | {r.Throughput:F1} | {r.P50:F0} | {r.P95:F0} | {r.P99:F0} | {r.Errors} | {r.MeanFaces:F2} | {r.BeforeMb:F0} → {r.AfterMb:F0} |";

    /// <summary>The working set through a long run at the top concurrency, at fixed fractions of the requests.</summary>
    private static string SoakReport(int requests, int concurrency, int batch, LoadResult r, List<(int Done, double Mb)> samples)
    {
        double At(double fraction) => samples.FirstOrDefault(s => s.Done >= fraction * requests, samples[^1]).Mb;
        double[] marks = [0.1, 0.25, 0.5, 0.75, 1.0];
        var half = At(0.5);
        var end = samples[^1].Mb;
        var growth = 100 * (end / half - 1);
        var b = new StringBuilder();
        b.AppendLine($"Soak: {requests:N0} requests at concurrency {concurrency}, batch {batch}, one server: {r.Throughput:F1} requests/s, {r.Errors} errors, " +
                     $"p99 {r.P99:F0} ms. Working set (sampled every 0.5 s) before {r.BeforeMb:F0} MB, then " +
                     string.Join(", ", marks.Select(m => $"{At(m):F0} MB at {m * requests:N0}")) +
                     $"; peak {samples.Max(s => s.Mb):F0} MB.");
        b.AppendLine(growth <= 5
            ? $"Over the second half it changed by {growth:+0.0;-0.0} %: flat once the arenas and pools are warm."
            : $"Over the second half it still grew by {growth:+0.0} %.");
        return b.ToString();
    }

    private static string Report(string model, int photos, int requests, int batch, List<string> rows, double score,
        (int Concurrency, double Batched, double Unbatched) top, string soak)
    {
        var b = new StringBuilder();
        b.AppendLine($"Model: `{Path.GetFileName(model)}`, its own preprocessing (YuNet, no label without a face). The real `edram serve` as a child");
        b.AppendLine($"process (a fresh one per line); a client loop on loopback posts the {photos:N0} muxspace photos in turn as raw JPEG bodies to");
        b.AppendLine($"`/v1/analyze`, {requests:N0} requests per line after 32 warm-up requests. Latency is per request at the client, in ms;");
        b.AppendLine("errors are non-200 answers (the queue, 64 images, is never full at these concurrencies); the working set is the server's");
        b.AppendLine("before and after the measured requests. Batch 1 is the same server with batching across requests off.");
        b.AppendLine();
        b.AppendLine("| concurrency | batch size | requests/s | p50 | p95 | p99 | errors | faces/request | server working set (MB) |");
        b.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows) b.AppendLine(r);
        b.AppendLine();
        b.AppendLine($"`edram score --batch-size {batch}` on the same photos ({requests:N0} rows, the photos repeated; start-up removed by timing a");
        b.AppendLine($"{batch}-row run too): **{score:F1} images/s**. At concurrency {top.Concurrency} the service reaches " +
                     $"**{100 * top.Batched / score:F0} %** of that, and batching across requests gives {100 * (top.Batched / top.Unbatched - 1):+0;-0} % over batching off.");
        b.AppendLine("The working set grows with concurrency (more threads, larger ONNX Runtime batches and their arena); the soak below");
        b.AppendLine("shows whether it levels off.");
        b.AppendLine();
        b.Append(soak);
        b.AppendLine();
        b.AppendLine($"Machine: {Environment.ProcessorCount} logical cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), .NET {Environment.Version}. " +
                     $"Load average (1 min) at the end: {BenchmarkDocs.LoadAverage()}; above the core count means other work shared the machine.");
        b.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `dotnet run --project bench/EdramFer.Bench -c Release -- serve` " +
                     "(options `--requests 2000`, `--concurrency 1,4,16`, `--batch-size 32`, `--soak 10000`, `--model PATH`, `--photos DIR`, `--no-write`).");
        return b.ToString();
    }
}
