using System.Net;
using System.Text.Json;
using EdramFer.ML;
using EdramFer.Tests.Shared;

namespace EdramFer.Server.Tests;

/// <summary>The API on the shipped model and real photos, in memory (one server for the class).</summary>
public sealed class AnalyzeApiTests(DefaultServer server) : IClassFixture<DefaultServer>
{
    [DemoPhotoFact]
    public async Task Analyze_FacePhoto_SameFaceLabelAndProbabilitiesAsEdramScore()
    {
        var client = await server.ReadyClientAsync();
        var photo = ServerFactory.DemoPhoto("astronaut.png");

        var json = await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Image(photo)), HttpStatusCode.OK);

        using var scorer = EdramScorer.Load(ServerFactory.ShippedModel);
        using var cli = new OnnxImageScorer(scorer, scorer.Info.Preprocess, 32);
        var expected = cli.ScoreFaces([photo], 16)[0];
        Assert.Equal("ok", json.GetProperty("status").GetString());
        Assert.Equal(scorer.Info.Sha256, json.GetProperty("model").GetProperty("sha256").GetString());
        Assert.Equal("edram-fer2013", json.GetProperty("model").GetProperty("id").GetString());
        var faces = json.GetProperty("faces").EnumerateArray().ToList();
        Assert.Equal(expected.Count, faces.Count);
        for (var i = 0; i < faces.Count; i++)
        {
            var (face, want) = (faces[i], expected[i]);
            Assert.Equal(want.Label, face.GetProperty("label").GetString());
            var box = face.GetProperty("box");
            Assert.Equal(want.Face!.Value.X, box.GetProperty("x").GetInt32());
            Assert.Equal(want.Face!.Value.Width, box.GetProperty("width").GetInt32());
            var probabilities = face.GetProperty("probabilities");
            for (var c = 0; c < scorer.Classes; c++)
                Assert.Equal(want.Probabilities[c], probabilities.GetProperty(scorer.Info.Labels[c]).GetSingle(), 5);
            Assert.Equal(JsonValueKind.Null, face.GetProperty("valence").ValueKind); // the shipped head is untrained
            Assert.Equal(JsonValueKind.Object, face.GetProperty("landmarks").ValueKind); // YuNet gives five points
            // The crop the model saw: a square around the face, holding it (the margin is 0.2 of the face).
            var crop = face.GetProperty("crop");
            Assert.Equal(crop.GetProperty("width").GetInt32(), crop.GetProperty("height").GetInt32());
            Assert.InRange(box.GetProperty("x").GetInt32(), crop.GetProperty("x").GetInt32(), int.MaxValue);
            Assert.InRange(box.GetProperty("x").GetInt32() + box.GetProperty("width").GetInt32(), 0, crop.GetProperty("x").GetInt32() + crop.GetProperty("width").GetInt32());
            Assert.InRange(box.GetProperty("y").GetInt32(), crop.GetProperty("y").GetInt32(), int.MaxValue);
            AssertGlimpses(face, scorer.Info.Steps, scorer.Info.InputSize);
        }
    }

    [DemoPhotoFact]
    public async Task Analyze_RawImageBody_SameResultAsMultipart()
    {
        var client = await server.ReadyClientAsync();
        var photo = ServerFactory.DemoPhoto("camera.png");

        var raw = await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Raw(File.ReadAllBytes(photo), "image/png")), HttpStatusCode.OK);
        var form = await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Image(photo)), HttpStatusCode.OK);

        Assert.Equal(form.GetProperty("faces").GetRawText(), raw.GetProperty("faces").GetRawText());
        Assert.Equal("upload", raw.GetProperty("name").GetString());
        Assert.Equal("camera.png", form.GetProperty("name").GetString());
    }

    [DemoPhotoFact]
    public async Task Analyze_Cat_NoFaceStatusAndNoFaces()
    {
        var client = await server.ReadyClientAsync();

        var json = await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Image(ServerFactory.DemoPhoto("chelsea.png"))), HttpStatusCode.OK);

        Assert.Equal("no_face", json.GetProperty("status").GetString());
        Assert.Equal(0, json.GetProperty("face_count").GetInt32());
        Assert.Empty(json.GetProperty("faces").EnumerateArray());
        Assert.Contains("no face found", json.GetProperty("error").GetString());
    }

    [SharedDataFact(GroupPhoto.Source)]
    public async Task Analyze_GroupPhoto_EveryFaceLargestFirstInsideItsAnnotatedBox()
    {
        var client = await server.ReadyClientAsync();
        var path = GroupPhoto.Write(Path.Combine(Path.GetTempPath(), $"edram-serve-group-{Environment.ProcessId}.png"));

        var json = await Uploads.Expect(await client.PostAsync("/v1/analyze", Uploads.Image(path)), HttpStatusCode.OK);

        File.Delete(path);
        var faces = json.GetProperty("faces").EnumerateArray().ToList();
        Assert.Equal(GroupPhoto.Faces.Length, json.GetProperty("face_count").GetInt32());
        Assert.Equal(GroupPhoto.Faces.Length, faces.Count);
        for (var i = 0; i < faces.Count; i++)
        {
            Assert.Equal(i, faces[i].GetProperty("face_index").GetInt32());
            var b = faces[i].GetProperty("box");
            var box = new OpenCvSharp.Rect(b.GetProperty("x").GetInt32(), b.GetProperty("y").GetInt32(), b.GetProperty("width").GetInt32(), b.GetProperty("height").GetInt32());
            Assert.True(GroupPhoto.IoU(box, GroupPhoto.Faces[i]) > 0.4, $"face {i}: {box} vs annotated {GroupPhoto.Faces[i]}");
        }
    }

    [DemoPhotoFact]
    public async Task Batch_MixedParts_OneResultPerPartInOrderBadPartsWithTheirOwnError()
    {
        var client = await server.ReadyClientAsync();
        var form = Uploads.Form(
            ("image", "astronaut.png", File.ReadAllBytes(ServerFactory.DemoPhoto("astronaut.png")), "image/png"),
            ("image", "notes.jpg", "this is a text file, not a JPEG\n"u8.ToArray(), "image/jpeg"),
            ("image", "chelsea.png", File.ReadAllBytes(ServerFactory.DemoPhoto("chelsea.png")), "image/png"),
            ("image", "readme.txt", "hello"u8.ToArray(), "text/plain"));

        var json = await Uploads.Expect(await client.PostAsync("/v1/analyze/batch", form), HttpStatusCode.OK);

        var results = json.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["astronaut.png", "notes.jpg", "chelsea.png", "readme.txt"], results.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(["ok", "error", "no_face", "error"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("undecodable", results[1].GetProperty("code").GetString());
        Assert.Equal("unsupported_media_type", results[3].GetProperty("code").GetString());
        Assert.Contains("notes.jpg", results[1].GetProperty("error").GetString());
        Assert.NotEmpty(results[0].GetProperty("faces").EnumerateArray());
        Assert.Equal("edram-fer2013", json.GetProperty("model").GetProperty("id").GetString());
        Assert.False(results[0].TryGetProperty("model", out _)); // named once for the batch
    }

    [Fact]
    public async Task Model_Loaded_LabelsStepsPreprocessingMetricsAndLimits()
    {
        var client = await server.ReadyClientAsync();

        var json = await Uploads.Expect(await client.GetAsync("/v1/model"), HttpStatusCode.OK);

        Assert.Equal(["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"], json.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(6, json.GetProperty("steps").GetInt32());
        Assert.Equal("yunet", json.GetProperty("preprocessing").GetProperty("detectors").GetString());
        Assert.Equal("reject", json.GetProperty("preprocessing").GetProperty("no_face_policy").GetString());
        Assert.True(json.GetProperty("metrics").TryGetProperty("accuracy", out _));
        Assert.Equal(64, json.GetProperty("limits").GetProperty("max_queue").GetInt64());
    }

    [Fact]
    public async Task Health_AliveAndReady()
    {
        var client = await server.ReadyClientAsync();

        await Uploads.Expect(await client.GetAsync("/healthz"), HttpStatusCode.OK);
        var ready = await Uploads.Expect(await client.GetAsync("/readyz"), HttpStatusCode.OK);

        Assert.Equal("ready", ready.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_DocumentDescribesTheAnalyzeEndpointsAndTheirErrors()
    {
        var client = await server.ReadyClientAsync();

        var json = await Uploads.Expect(await client.GetAsync("/openapi/v1.json"), HttpStatusCode.OK);

        var analyze = json.GetProperty("paths").GetProperty("/v1/analyze").GetProperty("post");
        Assert.True(analyze.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        foreach (var status in new[] { "200", "400", "401", "408", "413", "415", "422", "503" })
            Assert.True(analyze.GetProperty("responses").TryGetProperty(status, out _), $"/v1/analyze documents no {status}");
        Assert.True(json.GetProperty("paths").TryGetProperty("/v1/analyze/batch", out _));
    }

    [DemoPhotoFact]
    public async Task Metrics_AfterRequests_PrometheusTextWithImagesFacesAndRequestDurations()
    {
        var client = await server.ReadyClientAsync();
        await client.PostAsync("/v1/analyze", Uploads.Image(ServerFactory.DemoPhoto("astronaut.png")));
        await client.PostAsync("/v1/analyze", Uploads.Raw("no"u8.ToArray(), "text/plain"));

        var text = await (await client.GetAsync("/metrics")).Content.ReadAsStringAsync();

        Assert.Contains("edram_server_images_total{", text);
        Assert.Contains("status=\"ok\"", text);
        Assert.Contains("edram_server_faces_total", text);
        Assert.Contains("edram_server_batch_faces_bucket", text);
        Assert.Contains("edram_server_problems_total{", text);
        Assert.Contains("code=\"unsupported_media_type\"", text);
        Assert.Contains("http_server_request_duration_seconds_bucket", text);
    }

    [Fact]
    public async Task UnknownRouteAndWrongMethod_ProblemDetails404And405()
    {
        var client = await server.ReadyClientAsync();

        var missing = await client.GetAsync("/v1/nothing-here");
        var wrong = await client.GetAsync("/v1/analyze");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
        Assert.Equal("application/problem+json", wrong.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task WebPage_ServedWithItsScriptAndStyle()
    {
        var client = await server.ReadyClientAsync();

        var page = await client.GetStringAsync("/");
        var script = await client.GetAsync("/app.js");

        Assert.Contains("<script src=\"app.js\"></script>", page);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("v1/analyze", await script.Content.ReadAsStringAsync());
    }

    /// <summary>T glimpses numbered 1..T, each with θ, a box in the model's input and the same box in the image through the crop.</summary>
    private static void AssertGlimpses(JsonElement face, int steps, int inputSize)
    {
        var crop = face.GetProperty("crop");
        double cx = crop.GetProperty("x").GetDouble(), cy = crop.GetProperty("y").GetDouble(), scale = crop.GetProperty("width").GetDouble() / inputSize;
        var glimpses = face.GetProperty("glimpses").EnumerateArray().ToList();
        Assert.Equal(steps, glimpses.Count);
        for (var t = 0; t < steps; t++)
        {
            var g = glimpses[t];
            Assert.Equal(t + 1, g.GetProperty("step").GetInt32());
            Assert.Equal(6, g.GetProperty("theta").GetArrayLength());
            var (input, image) = (g.GetProperty("input_box"), g.GetProperty("image_box"));
            Assert.Equal(cx + input.GetProperty("x").GetDouble() * scale, image.GetProperty("x").GetDouble(), 6);
            Assert.Equal(cy + input.GetProperty("y").GetDouble() * scale, image.GetProperty("y").GetDouble(), 6);
            Assert.Equal(input.GetProperty("width").GetDouble() * scale, image.GetProperty("width").GetDouble(), 6);
            Assert.InRange(g.GetProperty("probability").GetSingle(), 0f, 1f);
        }
    }
}
