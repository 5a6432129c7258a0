using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace EdramFer.Server;

/// <summary>
/// The request bodies of the analyze endpoints, for the OpenAPI document. Declared here rather than with
/// <c>Accepts</c>, which would also make routing refuse other content types with a bare 415 before the upload reader
/// can say what was expected.
/// </summary>
internal static class OpenApiBodies
{
    /// <summary><c>/v1/analyze</c>: multipart part <c>image</c>, or the image as the whole body.</summary>
    public static Task ImageUpload(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        operation.RequestBody = Body(new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = Form(Binary()),
            ["image/*"] = new() { Schema = Binary() },
            ["application/octet-stream"] = new() { Schema = Binary() },
        });
        return Task.CompletedTask;
    }

    /// <summary><c>/v1/analyze/batch</c>: one multipart part per image.</summary>
    public static Task ImageParts(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        operation.RequestBody = Body(new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = Form(new OpenApiSchema { Type = JsonSchemaType.Array, Items = Binary() }),
        });
        return Task.CompletedTask;
    }

    private static OpenApiRequestBody Body(Dictionary<string, OpenApiMediaType> content) => new() { Required = true, Content = content };

    private static OpenApiMediaType Form(IOpenApiSchema image) => new()
    {
        Schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "image" },
            Properties = new Dictionary<string, IOpenApiSchema> { ["image"] = image },
        },
    };

    private static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary" };
}
