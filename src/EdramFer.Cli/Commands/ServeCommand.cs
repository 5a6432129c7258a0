using System.ComponentModel;
using System.Net;
using EdramFer.CommandLine;
using EdramFer.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram serve</c>: the HTTP scoring service and its web page (<see cref="EdramServer"/>), with the same model,
/// detector chain and options as <c>edram score</c>. Runs until Ctrl-C or SIGTERM. Exit codes: 0 stopped, 1 failed
/// (bad arguments, a model that does not load, an address in use).
/// </summary>
public sealed class ServeCommand(IAnsiConsole console) : Command<ServeCommand.Settings>
{
    public sealed class Settings : DetectorSettings
    {
        [CommandOption("--model <PATH>"), Description("EDRAM ONNX model")]
        public string Model { get; init; } = "";
        [CommandOption("--urls <URLS>"), DefaultValue("http://127.0.0.1:5080"), Description("Addresses to listen on, ';'-separated (loopback by default: exposing the service is a choice)")]
        public string Urls { get; init; } = "http://127.0.0.1:5080";
        [CommandOption("--api-key-file <FILE>"), Description("File holding the API key (>= 16 characters) that every /v1 request must send (X-Api-Key or Authorization: Bearer)")]
        public string? ApiKeyFile { get; init; }
        [CommandOption("--gpu <DEVICE>"), DefaultValue("none"), Description("CUDA device id, auto (GPU 0 when CUDA loads, else CPU) or none")]
        public string Gpu { get; init; } = "none";
        [CommandOption("--threads <N>"), DefaultValue(0), Description("ONNX Runtime intra-op threads (0 = all cores)")]
        public int Threads { get; init; }
        [CommandOption("--batch-size <N>"), DefaultValue(32), Description("Most faces per ONNX Runtime call; requests waiting together share one")]
        public int BatchSize { get; init; } = 32;
        [CommandOption("--max-queue <N>"), DefaultValue(64), Description("Most images admitted at once; beyond it requests get 503 with Retry-After")]
        public int MaxQueue { get; init; } = 64;
        [CommandOption("--max-request-mb <MB>"), DefaultValue(20), Description("Largest request body in MiB (413 above it)")]
        public int MaxRequestMb { get; init; } = 20;
        [CommandOption("--max-batch-images <N>"), DefaultValue(16), Description("Most images in one /v1/analyze/batch request (413 above it)")]
        public int MaxBatchImages { get; init; } = 16;
        [CommandOption("--max-faces <N>"), DefaultValue(16), Description("Most faces scored per image, the largest first")]
        public int MaxFaces { get; init; } = 16;
        [CommandOption("--request-timeout <SECONDS>"), DefaultValue(30), Description("Time allowed for one request, upload included (408 after it)")]
        public int RequestTimeout { get; init; } = 30;

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required (an .onnx model)");
            if (!Model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                return ValidationResult.Error($"--model must be an .onnx model (the service returns glimpses, which a pipeline .zip does not give); got '{Model}'");
            if (MaxRequestMb < 1) return ValidationResult.Error($"--max-request-mb must be >= 1, got {MaxRequestMb}");
            if (RequestTimeout < 1) return ValidationResult.Error($"--request-timeout must be >= 1 second, got {RequestTimeout}");
            if (ApiKeyFile is not null && !File.Exists(ApiKeyFile)) return ValidationResult.Error($"--api-key-file '{ApiKeyFile}' not found");
            try
            {
                ModelSettings.ParseGpu(Gpu);
                ToServerOptions(null).Validate();
            }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return base.Validate();
        }

        /// <summary>The server's options; <paramref name="apiKey"/> as read from <see cref="ApiKeyFile"/>.</summary>
        public ServerOptions ToServerOptions(string? apiKey)
        {
            var (device, fallback) = ModelSettings.ParseGpu(Gpu);
            return new ServerOptions
            {
                ModelPath = Model,
                Preprocess = ToPreprocessOptions,
                Urls = Urls,
                ApiKey = apiKey,
                GpuDevice = device,
                GpuFallback = fallback,
                Threads = Threads,
                BatchSize = BatchSize,
                MaxQueue = MaxQueue,
                MaxRequestBytes = MaxRequestMb * 1024L * 1024,
                MaxBatchImages = MaxBatchImages,
                MaxFaces = MaxFaces,
                RequestTimeout = TimeSpan.FromSeconds(RequestTimeout),
            };
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation)
    {
        var apiKey = s.ApiKeyFile is null ? null : File.ReadAllText(s.ApiKeyFile).Trim();
        var options = s.ToServerOptions(apiKey);
        options.Validate(); // the key's length, now that it is read
        using var host = EdramServer.CreateHostBuilder(options).Build();
        var exposed = s.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries).Where(u => !IsLoopback(u)).ToList();
        if (exposed.Count > 0 && apiKey is null)
            console.MarkupLine($"[yellow]warning:[/] listening on {string.Join(", ", exposed).EscapeMarkup()} without an API key (--api-key-file): anyone who can reach it can use it");
        console.MarkupLine($"Serving {Path.GetFileName(s.Model).EscapeMarkup()} on {s.Urls.EscapeMarkup()} (web page at /, API at /v1, OpenAPI at /openapi/v1.json, metrics at /metrics); Ctrl-C stops");
        var model = host.Services.GetRequiredService<ModelHost>(); // RunAsync disposes the services
        host.RunAsync(cancellation).GetAwaiter().GetResult();
        if (model.LoadError is { } error) throw new InvalidDataException(error.Message, error);
        return 0;
    }

    private static bool IsLoopback(string url) =>
        Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var u)
        && (u.IsLoopback || IPAddress.TryParse(u.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
