using System.Net;
using EdramFer.Cli.Commands;
using EdramFer.Server;
using EdramFer.Tests.Shared;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace EdramFer.Server.Tests;

/// <summary>
/// The real <c>edram serve</c> host (<see cref="EdramServer.CreateHostBuilder"/>) in memory. The type argument only
/// names an assembly with an entry point (the factory requires one); the host comes from the builder, not from Main.
/// </summary>
public class ServerFactory(ServerOptions options) : WebApplicationFactory<ServeCommand>
{
    /// <summary>The shipped model, as <c>edram score</c> uses it.</summary>
    public static string ShippedModel => Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");

    /// <summary>A demo photo (scripts/setup.sh fetches them; the tests that use one skip without it).</summary>
    public static string DemoPhoto(string file) => Path.Combine(SharedData.RepoRoot, "artifacts", "demo", "images", file);

    public ServerOptions Options { get; } = options;

    protected override IHostBuilder CreateHostBuilder() => EdramServer.CreateHostBuilder(Options);

    /// <summary>A client once the model is loaded (<c>/readyz</c> 200), with <paramref name="apiKey"/> sent when given.</summary>
    public async Task<HttpClient> ReadyClientAsync(string? apiKey = null)
    {
        var client = CreateClient();
        if (apiKey is not null) client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        for (var wait = TimeSpan.Zero; wait < TimeSpan.FromSeconds(60); wait += TimeSpan.FromMilliseconds(100))
        {
            if ((await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) return client;
            await Task.Delay(100);
        }
        throw new TimeoutException("the model did not load within 60 s");
    }
}

/// <summary>The shipped model with the default options; the class fixture of the API tests.</summary>
public sealed class DefaultServer() : ServerFactory(new ServerOptions { ModelPath = ShippedModel });

/// <summary>A fact that needs the demo photos (scripts/setup.sh); skipped, with the reason shown, without them.</summary>
public sealed class DemoPhotoFactAttribute : FactAttribute
{
    public DemoPhotoFactAttribute()
    {
        foreach (var file in new[] { "astronaut.png", "camera.png", "chelsea.png" })
            if (!File.Exists(ServerFactory.DemoPhoto(file))) Skip = $"{ServerFactory.DemoPhoto(file)} not found: run scripts/setup.sh (it fetches the demo photos)";
    }
}
