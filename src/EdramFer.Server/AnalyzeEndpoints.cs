using EdramFer.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdramFer.Server;

/// <summary>The API: <c>/v1/analyze</c>, <c>/v1/analyze/batch</c>, <c>/v1/model</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
internal static class AnalyzeEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints, ServerOptions options)
    {
        endpoints.MapGet("/healthz", () => Results.Ok(new { status = "alive" })).WithSummary("The process is up.");
        endpoints.MapGet("/readyz", (ModelHost host) => host.Model is null ? NotReady(host, options) : Results.Ok(new { status = "ready" }))
            .WithSummary("The model is loaded and scoring.").ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        var v1 = endpoints.MapGroup("/v1").AddEndpointFilter(new ApiKeyFilter(options.ApiKey)).ProducesProblem(StatusCodes.Status401Unauthorized);
        v1.MapGet("/model", (ModelHost host, ScoringQueue queue) => host.Model is { } m ? Results.Ok(ModelDescription.Of(m, options)) : NotReady(host, options))
            .WithSummary("Labels, glimpse steps, preprocessing and the model card's metrics.").Produces<ModelDescription>();
        v1.MapPost("/analyze", AnalyzeAsync)
            .WithSummary("One image (multipart part 'image', or a raw image/* body): every face with label, probabilities and glimpses.")
            .AddOpenApiOperationTransformer(OpenApiBodies.ImageUpload)
            .Produces<ImageResult>().ProducesProblem(400).ProducesProblem(408).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);
        v1.MapPost("/analyze/batch", BatchAsync)
            .WithSummary("Several images, one multipart part each: one result per part; a bad part gets its own error and the rest are scored.")
            .AddOpenApiOperationTransformer(OpenApiBodies.ImageParts)
            .Produces<BatchResult>().ProducesProblem(400).ProducesProblem(408).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503);
    }

    private static async Task<IResult> AnalyzeAsync(HttpContext context, ModelHost host, ScoringQueue queue, UploadReader reader, ServerOptions options, ServerMetrics metrics)
    {
        if (host.Model is not { } model) return NotReady(host, options);
        using var admission = queue.TryAdmit(1);
        if (admission is null) return Overloaded(context, queue, options);
        var ct = context.RequestAborted;
        var (uploads, problem) = await reader.ReadAsync(context.Request, batch: false, ct);
        if (problem is not null) return problem;
        var result = await AnalyzeOneAsync(model, uploads![0], queue, options, metrics, ct);
        if (result.Status == RowStatus.Error) return Problems.Unprocessable(result.Code!, result.Error!);
        return Results.Ok(result with { Model = new ModelRef(model.Id, model.Info.Sha256) });
    }

    private static async Task<IResult> BatchAsync(HttpContext context, ModelHost host, ScoringQueue queue, UploadReader reader, ServerOptions options, ServerMetrics metrics)
    {
        if (host.Model is not { } model) return NotReady(host, options);
        var ct = context.RequestAborted;
        var (uploads, problem) = await reader.ReadAsync(context.Request, batch: true, ct);
        if (problem is not null) return problem;
        using var admission = queue.TryAdmit(uploads!.Count);
        if (admission is null) return Overloaded(context, queue, options);
        var results = await Task.WhenAll(uploads.Select(u => AnalyzeOneAsync(model, u, queue, options, metrics, ct)));
        return Results.Ok(new BatchResult(new ModelRef(model.Id, model.Info.Sha256), results));
    }

    /// <summary>Preprocesses one upload (on the thread pool, beside the other requests) and scores its faces through the queue.</summary>
    private static async Task<ImageResult> AnalyzeOneAsync(LoadedModel model, Upload upload, ScoringQueue queue, ServerOptions options, ServerMetrics metrics,
        CancellationToken ct)
    {
        if (upload.Bytes is null)
        {
            metrics.Image(RowStatus.Error, 0);
            return AnalysisResults.Refused(upload);
        }
        var pre = await Task.Run(() => model.Preprocessor.ProcessEncodedFaces(upload.Bytes, upload.Name, options.MaxFaces), ct);
        ct.ThrowIfCancellationRequested();
        var traces = await queue.ScoreAsync(pre.Where(p => p.HasPixels).ToList(), ct);
        var result = AnalysisResults.Build(model, upload.Name, pre, traces);
        metrics.Image(result.Status, result.Faces.Count);
        return result;
    }

    private static IResult NotReady(ModelHost host, ServerOptions options) => Problems.NotReady(host.LoadError is { } e
        ? $"the model '{Path.GetFileName(options.ModelPath)}' did not load: {e.Message}"
        : $"the model '{Path.GetFileName(options.ModelPath)}' is still loading; retry shortly");

    private static IResult Overloaded(HttpContext context, ScoringQueue queue, ServerOptions options)
    {
        context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Overloaded(queue.Admitted, queue.Capacity);
    }
}
