using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace EdramFer.Server;

/// <summary>
/// Builds the <c>edram serve</c> host: Kestrel on <see cref="ServerOptions.Urls"/>, the API, the web page, OpenAPI at
/// <c>/openapi/v1.json</c> and Prometheus metrics at <c>/metrics</c>. The CLI runs it; the tests host the same builder
/// in memory (WebApplicationFactory).
/// </summary>
public static class EdramServer
{
    /// <summary>A host builder for <paramref name="options"/> (validated here; the model loads when the host starts).</summary>
    public static IHostBuilder CreateHostBuilder(ServerOptions options)
    {
        options.Validate();
        return Host.CreateDefaultBuilder()
            // One line per request at Information would cost more than scoring a small image.
            .ConfigureLogging(l => l.AddFilter("Microsoft.AspNetCore", LogLevel.Warning))
            .ConfigureWebHost(web => web
                .UseKestrel(k =>
                {
                    // Kestrel counts the whole body (multipart framing too); the upload reader counts image bytes.
                    k.Limits.MaxRequestBodySize = options.MaxRequestBytes + 64 * 1024;
                    k.AddServerHeader = false;
                })
                .UseUrls(options.Urls)
                .ConfigureServices(services => AddServices(services, options))
                .Configure(Configure));
    }

    private static void AddServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<ScoringQueue>();
        services.AddSingleton<UploadReader>();
        services.AddSingleton<ModelHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        services.AddRouting();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = CompleteProblem);
        services.AddRequestTimeouts(o => o.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = options.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status408RequestTimeout,
            WriteTimeoutResponse = context => Problems.Timeout(options.RequestTimeout).ExecuteAsync(context),
        });
        services.AddOpenApi();
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(ServerMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
    }

    /// <summary>
    /// Gives the problems ASP.NET Core writes itself (unhandled exceptions, unmatched routes) a <c>code</c> like ours,
    /// says what to do about a 500 without leaking the exception (it is in the server log under the trace id), and counts each.
    /// </summary>
    private static void CompleteProblem(ProblemDetailsContext c)
    {
        var (problem, status) = (c.ProblemDetails, c.ProblemDetails.Status ?? c.HttpContext.Response.StatusCode);
        if (!problem.Extensions.ContainsKey("code"))
        {
            problem.Extensions["code"] = status == StatusCodes.Status500InternalServerError ? "internal_error" : "http";
            if (status == StatusCodes.Status500InternalServerError)
                problem.Detail = "the server failed while handling this request; its log has the error under this response's trace_id";
        }
        c.HttpContext.RequestServices.GetRequiredService<ServerMetrics>().Problem(status, problem.Extensions["code"]?.ToString() ?? "");
    }

    private static void Configure(IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<ServerOptions>();
        app.ApplicationServices.GetRequiredService<ServerMetrics>().Observe(app.ApplicationServices.GetRequiredService<ScoringQueue>());
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseRequestTimeouts();
        app.UseEndpoints(e =>
        {
            AnalyzeEndpoints.Map(e, options);
            WebPage.Map(e);
            e.MapOpenApi();
            e.MapPrometheusScrapingEndpoint();
        });
    }
}
