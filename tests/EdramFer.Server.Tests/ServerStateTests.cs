using System.Net;
using EdramFer.Vision.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace EdramFer.Server.Tests;

/// <summary>The two statuses that do not come from a request's content: 503 while the model loads, 500 when scoring fails inside.</summary>
public sealed class ServerStateTests
{
    [Fact]
    public async Task WhileTheModelLoads_EveryModelRoute503ModelLoading_HealthzAlive_ThenItServes()
    {
        using var gate = new ManualResetEventSlim();
        // The preprocessing hook runs inside the model load (ModelHost.Load): holding it keeps the server loading.
        using var slow = new ServerFactory(new ServerOptions { ModelPath = ServerFactory.ShippedModel, Preprocess = o => { gate.Wait(); return o with { Detectors = [] }; } });
        var client = slow.CreateClient();
        var png = TestImages.Encode(TestImages.Synthetic(120, 90), ".png");

        await Uploads.Expect(await client.GetAsync("/healthz"), HttpStatusCode.OK);
        await Uploads.Expect(await client.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable, "model_loading");
        await Uploads.Expect(await client.GetAsync("/v1/model"), HttpStatusCode.ServiceUnavailable, "model_loading");
        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Raw(png, "image/png")), HttpStatusCode.ServiceUnavailable, "model_loading");
        await Uploads.Expect(await client.PostAsync("/v1/analyze/batch", Uploads.Form(("image", "a.png", png, "image/png"))),
            HttpStatusCode.ServiceUnavailable, "model_loading");

        gate.Set();
        var ready = await slow.ReadyClientAsync();
        var result = await Uploads.Expect(await ready.PostAsync("/v1/analyze", Uploads.Raw(png, "image/png")), HttpStatusCode.OK);
        Assert.Equal("ok", result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ScoringFailsInside_500ProblemWithCodeAndTraceId_NoInternals_ServerKeepsServing()
    {
        // A crop size the model does not take (64 px for a 100 px input) makes the scorer throw on every face: an internal fault.
        using var broken = new ServerFactory(new ServerOptions { ModelPath = ServerFactory.ShippedModel, Preprocess = o => o with { Detectors = [], OutputSize = 64 } });
        var client = await broken.ReadyClientAsync();
        var png = TestImages.Encode(TestImages.Synthetic(120, 90), ".png");

        var problem = await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Raw(png, "image/png")), HttpStatusCode.InternalServerError, "internal_error");
        var text = problem.ToString();
        Assert.StartsWith("00-", problem.GetProperty("trace_id").GetString());
        Assert.DoesNotContain("pixels, expected", text);       // the exception's message stays in the server log
        Assert.DoesNotContain("   at ", text);                 // no stack trace
        await Uploads.Expect(await client.PostAsync("/v1/analyze/batch", Uploads.Form(("image", "a.png", png, "image/png"))),
            HttpStatusCode.InternalServerError, "internal_error");

        Assert.Equal(0, broken.Services.GetRequiredService<ScoringQueue>().Admitted);   // the failed requests gave their places back
        await Uploads.Expect(await client.GetAsync("/readyz"), HttpStatusCode.OK);
        var metrics = await (await client.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("internal_error", metrics);
    }
}
