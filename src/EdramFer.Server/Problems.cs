using EdramFer.Vision;
using Microsoft.AspNetCore.Http;

namespace EdramFer.Server;

/// <summary>
/// Every error response of the service: RFC 9457 problem details (<c>application/problem+json</c>) with the HTTP
/// status, a title, a detail naming the value and what was expected, and a machine-readable <c>code</c>.
/// </summary>
internal static class Problems
{
    public static IResult BadRequest(string code, string detail) => Make(StatusCodes.Status400BadRequest, "Bad request", code, detail);

    public static IResult Unauthorized(string detail) => Make(StatusCodes.Status401Unauthorized, "Unauthorized", "api_key", detail);

    public static IResult TooLarge(string code, string detail) => Make(StatusCodes.Status413PayloadTooLarge, "Content too large", code, detail);

    public static IResult UnsupportedMediaType(string detail) =>
        Make(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "unsupported_media_type", detail);

    /// <summary>422: the upload arrived but is not a usable image (undecodable, empty, over the pixel limit, zero size).</summary>
    public static IResult Unprocessable(string code, string detail) => Make(StatusCodes.Status422UnprocessableEntity, "Unusable image", code, detail);

    public static IResult Overloaded(int queued, int capacity) =>
        Make(StatusCodes.Status503ServiceUnavailable, "Overloaded", "queue_full",
            $"the scoring queue holds {queued} of {capacity} images (--max-queue); retry after the Retry-After seconds");

    public static IResult NotReady(string detail) => Make(StatusCodes.Status503ServiceUnavailable, "Not ready", "model_loading", detail);

    public static IResult Timeout(TimeSpan limit) => Make(StatusCodes.Status408RequestTimeout, "Request timeout", "timeout",
        $"the request (upload and scoring) did not complete within {limit.TotalSeconds:0.###} s (--request-timeout)");

    /// <summary>The <c>code</c> of an image that could not be used: the preprocessing status in snake case.</summary>
    public static string ImageCode(PreprocessStatus status) => status switch
    {
        PreprocessStatus.EmptyFile => "empty_image",
        PreprocessStatus.Undecodable => "undecodable",
        PreprocessStatus.TooLarge => "too_many_pixels",
        PreprocessStatus.ZeroSize => "zero_size",
        PreprocessStatus.NoFace => "no_face",
        _ => "image_error",
    };

    private static IResult Make(int status, string title, string code, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title, extensions: new Dictionary<string, object?> { ["code"] = code });
}
