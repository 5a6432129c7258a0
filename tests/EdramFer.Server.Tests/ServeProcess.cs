using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdramFer.Server.Tests;

/// <summary>A real <c>edram serve</c> process (edram.dll next to the tests) on a free loopback port; killed on dispose.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    /// <summary>The server's base address.</summary>
    public Uri Url { get; }

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts the server with the shipped model and waits until <c>/readyz</c> says the model is loaded.</summary>
    public static async Task<ServeProcess> StartAsync(params string[] extraArgs)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "edram.dll"), "serve", "--model", ServerFactory.ShippedModel, "--urls", url.ToString(), .. extraArgs])
            start.ArgumentList.Add(a);
        var server = new ServeProcess(Process.Start(start)!, url);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = url };
        for (var waited = 0; waited < 120; waited++)
        {
            if (server._process.HasExited) break;
            try
            {
                if ((await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) return server;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(500);
        }
        server.Dispose();
        throw new TimeoutException($"edram serve did not become ready: {server.Output}");
    }

    private void Append(string? line)
    {
        if (line is not null) lock (_output) _output.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
    }
}
