using System.Reflection;
using System.Runtime.Loader;
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
    public static void Register(IHostEnvironment env) => Register(env.ComponentCatalog);

    /// <inheritdoc cref="Register(IHostEnvironment)"/>
    public static void Register(ComponentCatalog catalog)
    {
        AcceptOtherVersions();
        catalog.RegisterAssembly(typeof(CatalogEnvironment).Assembly);
    }

    private static int _accepting;

    /// <summary>
    /// A saved pipeline names its mapping factories' assembly with the version that saved it ("EdramFer.ML,
    /// Version=1.0.0.0"); .NET refuses to bind that name to another version, so every zip saved before a version
    /// change (the shipped pipelines/edram-fer2013.zip among them) failed to load outside a test host, whose resolver
    /// hid it. Requests for an EdramFer assembly of another version are answered with the loaded one.
    /// </summary>
    private static void AcceptOtherVersions()
    {
        if (Interlocked.Exchange(ref _accepting, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
            name.Name is { } simple && simple.StartsWith("EdramFer.", StringComparison.Ordinal)
                ? AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == simple)
                  ?? LoadBeside(context, simple)
                : null;
    }

    /// <summary>An EdramFer assembly not loaded yet, from the folder EdramFer.ML was loaded from.</summary>
    private static Assembly? LoadBeside(AssemblyLoadContext context, string simpleName)
    {
        var path = Path.Combine(Path.GetDirectoryName(typeof(CatalogEnvironment).Assembly.Location) ?? "", simpleName + ".dll");
        return File.Exists(path) ? context.LoadFromAssemblyPath(path) : null;
    }

    /// <summary>A logger writing Info lines from the channel <c>EdramFer.ML</c> (they reach <c>mlContext.Log</c>).</summary>
    public static Action<string> Logger(IHostEnvironment env) => line =>
    {
        using var channel = env.Start("EdramFer.ML");
        channel.Info(MessageSensitivity.None, line);
    };
}
