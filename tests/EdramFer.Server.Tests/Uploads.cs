using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace EdramFer.Server.Tests;

/// <summary>Request bodies and response checks shared by the API tests.</summary>
internal static class Uploads
{
    public static MultipartFormDataContent Form(params (string Field, string FileName, byte[] Bytes, string ContentType)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, fileName, bytes, type) in parts)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(type);
            form.Add(content, field, fileName);
        }
        return form;
    }

    public static MultipartFormDataContent Image(string path) => Form(("image", Path.GetFileName(path), File.ReadAllBytes(path), "image/png"));

    public static ByteArrayContent Raw(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    /// <summary>The response's JSON after checking its status; a problem response must be RFC 9457 with the expected code.</summary>
    public static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status, string? problemCode = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var json = JsonDocument.Parse(text).RootElement;
        if (problemCode is null) return json;
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.Equal(problemCode, json.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("detail").GetString()), text);
        return json;
    }
}

/// <summary>A body whose length is not known up front (sent chunked): the upload reader must count it as it reads.</summary>
internal sealed class UnknownLengthContent(byte[] bytes, string contentType) : HttpContent
{
    public UnknownLengthContent Typed()
    {
        Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return this;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
