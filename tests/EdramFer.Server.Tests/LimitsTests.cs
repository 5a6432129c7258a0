using System.Net;
using EdramFer.Vision.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace EdramFer.Server.Tests;

/// <summary>Every refusal the service makes: bad images, sizes, content types, API key, overload and timeout, each a precise status and problem code.</summary>
public sealed class LimitsTests(DefaultServer server) : IClassFixture<DefaultServer>
{
    private const string Key = "test-key-0123456789abcdef";

    public static TheoryData<string, string> BadImages => new()
    {
        { "empty", "empty_image" },
        { "truncated", "undecodable" },
        { "text", "undecodable" },
        { "bomb", "too_many_pixels" },
        { "zero", "zero_size" },
    };

    [Theory, MemberData(nameof(BadImages))]
    public async Task Analyze_BadImageOfTheCliList_422WithItsCode(string kind, string code)
    {
        var client = await server.ReadyClientAsync();

        var response = await client.PostAsync("/v1/analyze", Uploads.Form(("image", $"{kind}.png", BadImage(kind), "image/png")));

        var problem = await Uploads.Expect(response, HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains($"{kind}.png", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Analyze_BodyOverTheLimit_413WhetherTheLengthIsDeclaredOrNot()
    {
        using var small = new ServerFactory(new ServerOptions { ModelPath = ServerFactory.ShippedModel, MaxRequestBytes = 64 * 1024 });
        var client = await small.ReadyClientAsync();
        var big = new byte[100 * 1024];

        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Raw(big, "image/png")), HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        await Uploads.Expect(await client.PostAsync("/v1/analyze", new UnknownLengthContent(big, "image/png").Typed()), HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        await Uploads.Expect(await client.PostAsync("/v1/analyze/batch", Uploads.Form(("image", "a.png", big, "image/png"))), HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task Batch_MoreImagesThanAllowed_413()
    {
        using var small = new ServerFactory(new ServerOptions { ModelPath = ServerFactory.ShippedModel, MaxBatchImages = 2 });
        var client = await small.ReadyClientAsync();
        var png = BadImage("zero");

        var response = await client.PostAsync("/v1/analyze/batch", Uploads.Form(("image", "1.png", png, "image/png"), ("image", "2.png", png, "image/png"), ("image", "3.png", png, "image/png")));

        await Uploads.Expect(response, HttpStatusCode.RequestEntityTooLarge, "too_many_images");
    }

    [Fact]
    public async Task Analyze_NotAnImageContentType_415()
    {
        var client = await server.ReadyClientAsync();

        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Raw("hello"u8.ToArray(), "text/plain")), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await Uploads.Expect(await client.PostAsync("/v1/analyze", new ByteArrayContent([1, 2, 3])), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Form(("image", "a.txt", "hello"u8.ToArray(), "text/plain"))),
            HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await Uploads.Expect(await client.PostAsync("/v1/analyze/batch", Uploads.Raw(BadImage("zero"), "image/png")), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task Analyze_MalformedOrIncompleteMultipart_400()
    {
        var client = await server.ReadyClientAsync();
        var png = BadImage("zero");

        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Form(("photo", "a.png", png, "image/png"))), HttpStatusCode.BadRequest, "missing_image");
        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Form(("image", "a.png", png, "image/png"), ("image", "b.png", png, "image/png"))),
            HttpStatusCode.BadRequest, "several_images");
        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Raw(png, "multipart/form-data")), HttpStatusCode.BadRequest, "malformed_multipart");
        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Raw("--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc"u8.ToArray(), "multipart/form-data; boundary=x")),
            HttpStatusCode.BadRequest, "malformed_body");
    }

    [Fact]
    public async Task ApiKey_MissingOrWrong401_RightOneInEitherHeaderPasses_HealthStaysOpen()
    {
        using var locked = new ServerFactory(new ServerOptions { ModelPath = ServerFactory.ShippedModel, ApiKey = Key });
        var anonymous = await locked.ReadyClientAsync();

        var missing = await anonymous.GetAsync("/v1/model");
        await Uploads.Expect(missing, HttpStatusCode.Unauthorized, "api_key");
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/model") { Headers = { { "X-Api-Key", Key + "x" } } };
        await Uploads.Expect(await anonymous.SendAsync(wrong), HttpStatusCode.Unauthorized, "api_key");
        var bearer = new HttpRequestMessage(HttpMethod.Get, "/v1/model") { Headers = { { "Authorization", "Bearer " + Key } } };
        await Uploads.Expect(await anonymous.SendAsync(bearer), HttpStatusCode.OK);
        await Uploads.Expect(await (await locked.ReadyClientAsync(Key)).GetAsync("/v1/model"), HttpStatusCode.OK);
        await Uploads.Expect(await anonymous.GetAsync("/healthz"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Analyze_QueueFull_503WithRetryAfter_ServedAgainOnceThereIsRoom()
    {
        using var own = new DefaultServer();
        var client = await own.ReadyClientAsync();
        var queue = own.Services.GetRequiredService<ScoringQueue>();
        var png = BadImage("zero");

        using (queue.TryAdmit(queue.Capacity))
        {
            var response = await client.PostAsync("/v1/analyze", Uploads.Raw(png, "image/png"));
            await Uploads.Expect(response, HttpStatusCode.ServiceUnavailable, "queue_full");
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            await Uploads.Expect(await client.PostAsync("/v1/analyze/batch", Uploads.Form(("image", "a.png", png, "image/png"))), HttpStatusCode.ServiceUnavailable, "queue_full");
        }

        await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Raw(png, "image/png")), HttpStatusCode.UnprocessableEntity, "zero_size");
        Assert.Equal(0, queue.Admitted);
    }

    [DemoPhotoFact]
    public async Task Analyze_SlowerThanTheRequestTimeout_408()
    {
        using var hurried = new ServerFactory(new ServerOptions { ModelPath = ServerFactory.ShippedModel, RequestTimeout = TimeSpan.FromMilliseconds(1) });
        var client = await hurried.ReadyClientAsync();

        // Detecting and scoring a 512x512 photo takes far longer than 1 ms.
        var response = await client.PostAsync("/v1/analyze", Uploads.Image(ServerFactory.DemoPhoto("astronaut.png")));

        await Uploads.Expect(response, HttpStatusCode.RequestTimeout, "timeout");
    }

    [Fact]
    public void Options_ShortApiKeyOrZeroQueue_RefusedNamingTheValue()
    {
        var shortKey = Assert.Throws<ArgumentException>(() => new ServerOptions { ModelPath = "m.onnx", ApiKey = "123" }.Validate());
        var noQueue = Assert.Throws<ArgumentException>(() => new ServerOptions { ModelPath = "m.onnx", MaxQueue = 0 }.Validate());

        Assert.Contains("at least 16 characters", shortKey.Message);
        Assert.Contains("MaxQueue must be >= 1, got 0", noQueue.Message);
    }

    private static byte[] BadImage(string kind)
    {
        using var synthetic = TestImages.Synthetic(120, 90);
        var jpg = TestImages.Encode(synthetic, ".jpg");
        return kind switch
        {
            "empty" => [],
            "truncated" => jpg[..(jpg.Length / 2)],
            "text" => "this is a text file, not a JPEG\n"u8.ToArray(),
            "bomb" => TestImages.PngWithDeclaredSize(100_000, 100_000),
            "zero" => TestImages.PngWithDeclaredSize(0, 64),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }
}
