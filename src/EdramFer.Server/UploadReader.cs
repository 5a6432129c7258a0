using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace EdramFer.Server;

/// <summary>One uploaded image: its name for messages (the part's file name, never opened) and bytes, or why the part was refused.</summary>
internal sealed record Upload(string Name, byte[]? Bytes, string? RefusedCode = null, string? RefusedDetail = null);

/// <summary>
/// Reads the images of a request: a raw <c>image/*</c> (or <c>application/octet-stream</c>) body, or
/// <c>multipart/form-data</c> parts. Sizes are counted while reading, so a body without Content-Length cannot pass
/// the limit either. Nothing in a request names a file the server opens.
/// </summary>
internal sealed class UploadReader(ServerOptions options)
{
    /// <summary>The uploads, or the problem response that refuses the whole request.</summary>
    public async Task<(IReadOnlyList<Upload>? Uploads, IResult? Problem)> ReadAsync(HttpRequest request, bool batch, CancellationToken cancellation)
    {
        if (request.ContentLength > options.MaxRequestBytes) return (null, BodyTooLarge(request.ContentLength.Value));
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
            return (null, Problems.UnsupportedMediaType($"Content-Type '{request.ContentType}' is missing or malformed; expected multipart/form-data{(batch ? "" : " or image/*")}"));
        try
        {
            if (type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)) return await ReadMultipartAsync(request, type, batch, cancellation);
            if (batch)
                return (null, Problems.UnsupportedMediaType($"Content-Type '{type.MediaType}': a batch is multipart/form-data with one part per image"));
            if (!IsImageType(type.MediaType.Value))
                return (null, Problems.UnsupportedMediaType($"Content-Type '{type.MediaType}' is not an image; expected image/* (or application/octet-stream), or multipart/form-data"));
            var bytes = await ReadLimitedAsync(request.Body, 0, cancellation);
            return bytes is null ? (null, BodyTooLarge(null)) : ([new Upload("upload", bytes)], null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, BodyTooLarge(null)); // the server's own limit fired first
        }
        catch (Exception e) when (e is IOException or InvalidDataException or BadHttpRequestException)
        {
            return (null, Problems.BadRequest("malformed_body", $"the request body could not be read: {e.Message}"));
        }
    }

    private async Task<(IReadOnlyList<Upload>?, IResult?)> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue type, bool batch, CancellationToken cancellation)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary)) return (null, Problems.BadRequest("malformed_multipart", "multipart/form-data without a boundary parameter"));
        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 8 * 1024 };
        var uploads = new List<Upload>();
        long total = 0;
        for (var section = await reader.ReadNextSectionAsync(cancellation); section is not null; section = await reader.ReadNextSectionAsync(cancellation))
        {
            var disposition = section.GetContentDispositionHeader();
            var field = disposition?.Name.Value?.Trim('"') ?? "";
            var name = PartName(disposition, field, uploads.Count);
            if (!batch && field != "image") continue; // other form fields are not the image
            if (uploads.Count == (batch ? options.MaxBatchImages : 1))
                return (null, batch
                    ? Problems.TooLarge("too_many_images", $"more than {options.MaxBatchImages} images in one batch (--max-batch-images)")
                    : Problems.BadRequest("several_images", "more than one 'image' part; send several images to /v1/analyze/batch"));
            var bytes = await ReadLimitedAsync(section.Body, total, cancellation);
            if (bytes is null) return (null, BodyTooLarge(null));
            total += bytes.Length;
            if (section.ContentType is { } partType && MediaTypeHeaderValue.TryParse(partType, out var parsed) && !IsImageType(parsed.MediaType.Value))
            {
                var detail = $"part '{name}' has Content-Type '{parsed.MediaType}', not an image (expected image/* or application/octet-stream)";
                if (!batch) return (null, Problems.UnsupportedMediaType(detail));
                uploads.Add(new Upload(name, null, "unsupported_media_type", detail));
                continue;
            }
            uploads.Add(new Upload(name, bytes));
        }
        if (uploads.Count == 0)
            return (null, Problems.BadRequest("missing_image", batch ? "the multipart body has no parts; send one part per image" : "no multipart part named 'image'"));
        return (uploads, null);
    }

    /// <summary>All of <paramref name="body"/>, or null once <paramref name="before"/> plus what was read passes the limit.</summary>
    private async Task<byte[]?> ReadLimitedAsync(Stream body, long before, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellation)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (before + buffer.Length > options.MaxRequestBytes) return null;
        }
        return buffer.ToArray();
    }

    /// <summary>The file name the client gave (a label only), else the field name and position.</summary>
    private static string PartName(ContentDispositionHeaderValue? disposition, string field, int index)
    {
        var file = HeaderUtilities.RemoveQuotes(disposition?.FileNameStar.HasValue == true ? disposition.FileNameStar : disposition?.FileName ?? default).Value;
        var name = string.IsNullOrWhiteSpace(file) ? $"{(field.Length > 0 ? field : "part")}[{index}]" : Path.GetFileName(file);
        return name.Length > 200 ? name[..200] : name;
    }

    private static bool IsImageType(string? mediaType) =>
        mediaType is not null && (mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || mediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase));

    private IResult BodyTooLarge(long? length) => Problems.TooLarge("request_too_large",
        $"the request body is {(length is { } l ? $"{l:N0} bytes" : "larger than the limit")}; at most {options.MaxRequestBytes:N0} bytes (--max-request-mb)");
}
