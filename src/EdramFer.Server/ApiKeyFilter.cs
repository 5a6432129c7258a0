using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace EdramFer.Server;

/// <summary>
/// Requires the API key on every <c>/v1</c> request when one is configured: header <c>X-Api-Key</c> or
/// <c>Authorization: Bearer</c>. Compared in constant time (over SHA-256 digests, so the length leaks nothing either).
/// </summary>
internal sealed class ApiKeyFilter(string? apiKey) : IEndpointFilter
{
    private readonly byte[]? _digest = apiKey is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_digest is null) return next(context);
        var given = Presented(context.HttpContext.Request);
        if (given is null)
            return Refuse(context.HttpContext, "this server requires an API key: send it as the X-Api-Key header or Authorization: Bearer <key>");
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _digest))
            return Refuse(context.HttpContext, "the API key is not valid");
        return next(context);
    }

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers["X-Api-Key"] is [{ } key, ..]) return key;
        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth["Bearer ".Length..].Trim() : null;
    }

    private static ValueTask<object?> Refuse(HttpContext context, string detail)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(Problems.Unauthorized(detail));
    }
}
