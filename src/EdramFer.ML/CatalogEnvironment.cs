using System.Reflection;
using Microsoft.ML.Runtime;

namespace EdramFer.ML;

/// <summary>
/// The ML.NET environment behind a catalog (<c>mlContext.Transforms</c>, <c>mlContext.Model</c>): where EdramFer.ML
/// registers its mappings and writes its log lines, so they reach <c>mlContext.Log</c>. ML.NET keeps a catalog's
/// environment internal (<c>IInternalCatalog.Environment</c>); it is read once per catalog by reflection, and a change
/// in ML.NET fails here with the catalog's type named rather than somewhere later.
/// </summary>
internal static class CatalogEnvironment
{
    /// <summary>The catalog's <see cref="IHostEnvironment"/>.</summary>
    public static IHostEnvironment Of(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        var type = catalog.GetType();
        var property = type.GetProperties(flags).FirstOrDefault(p => p.Name.EndsWith("Environment", StringComparison.Ordinal) && p.PropertyType == typeof(IHostEnvironment));
        if (property?.GetValue(catalog) is IHostEnvironment fromProperty) return fromProperty;
        var field = type.GetFields(flags).FirstOrDefault(f => typeof(IHostEnvironment).IsAssignableFrom(f.FieldType));
        return field?.GetValue(catalog) as IHostEnvironment
               ?? throw new NotSupportedException($"{type.FullName} has no IHostEnvironment this version of EdramFer.ML can read (ML.NET {type.Assembly.GetName().Version})");
    }

    /// <summary>Registers EdramFer.ML's mapping factories so that ML.NET can load them by contract name.</summary>
    public static void Register(IHostEnvironment env) => env.ComponentCatalog.RegisterAssembly(typeof(CatalogEnvironment).Assembly);

    /// <summary>A logger writing Info lines from the channel <c>EdramFer.ML</c> (they reach <c>mlContext.Log</c>).</summary>
    public static Action<string> Logger(IHostEnvironment env) => line =>
    {
        using var channel = env.Start("EdramFer.ML");
        channel.Info(MessageSensitivity.None, line);
    };
}
