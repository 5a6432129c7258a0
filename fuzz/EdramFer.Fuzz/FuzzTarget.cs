using System.Text;
using System.Text.RegularExpressions;

namespace EdramFer.Fuzz;

/// <summary>
/// One fuzzing target: a parser entry point fed arbitrary bytes, and the contract it keeps for every input. A run
/// returns a short outcome key (what happened, without the details that vary per input); a broken contract throws
/// <see cref="ContractViolation"/>, and any exception the entry point does not document escapes as it is, so AFL++ and
/// libFuzzer see both as crashes.
/// </summary>
public abstract class FuzzTarget : IDisposable
{
    /// <summary>Name on the command line and folder of the seed corpus (<c>fuzz/corpus/&lt;name&gt;</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The contract checked for every input, one sentence (docs/fuzzing.md lists them).</summary>
    public abstract string Contract { get; }

    /// <summary>Tokens the mutator inserts: magic numbers and keywords of the format, which random bytes rarely hit.</summary>
    public virtual IReadOnlyList<byte[]> Dictionary => [];

    /// <summary>Runs one input. Returns the outcome key; throws <see cref="ContractViolation"/> when the contract is broken.</summary>
    public abstract string Run(ReadOnlySpan<byte> data);

    private string? _workFolder;

    /// <summary>A private temporary folder for the files a target writes (created on first use, deleted by <see cref="Dispose"/>).</summary>
    protected string WorkFolder => _workFolder ??= Directory.CreateTempSubdirectory($"edramfer-fuzz-{Name}-").FullName;

    /// <summary>Releases what the target holds and deletes <see cref="WorkFolder"/>.</summary>
    public virtual void Dispose() => DeleteWorkFolder();

    /// <summary>Deletes <see cref="WorkFolder"/> (uninstrumented code only: safe after a fuzzing engine has detached).</summary>
    public void DeleteWorkFolder()
    {
        if (_workFolder is null) return;
        try
        {
            Directory.Delete(_workFolder, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder
        }
        _workFolder = null;
    }

    /// <summary>ASCII tokens as bytes.</summary>
    protected static byte[][] Tokens(params string[] tokens) => tokens.Select(Encoding.Latin1.GetBytes).ToArray();
}

/// <summary>Outcome keys: messages reduced to their template.</summary>
public static partial class Outcome
{
    /// <summary>
    /// A message reduced to its template: quoted names, paths and numbers replaced, so one kind of refusal is one
    /// outcome however the input varies.
    /// </summary>
    public static string Template(string message)
    {
        var text = Quoted().Replace(message, "'…'");
        text = Numbers().Replace(text, "#");
        return text.Length <= 80 ? text : text[..80];
    }

    [GeneratedRegex("'[^']*'")]
    private static partial Regex Quoted();

    [GeneratedRegex("[0-9][0-9,.]*")]
    private static partial Regex Numbers();
}

/// <summary>A fuzz target broke its contract (a postcondition failed); the message says which.</summary>
public sealed class ContractViolation(string message) : Exception(message);

/// <summary>The targets by name.</summary>
public static class FuzzTargets
{
    /// <summary>Every target name, in the order reports list them.</summary>
    public static readonly IReadOnlyList<string> Names = ["image", "csv", "onnx-metadata", "pipeline-zip"];

    /// <summary>A new instance of the named target; throws naming the known ones otherwise.</summary>
    public static FuzzTarget Create(string name) => name switch
    {
        "image" => new Targets.ImageTarget(),
        "csv" => new Targets.CsvTarget(),
        "onnx-metadata" => new Targets.OnnxMetadataTarget(),
        "pipeline-zip" => new Targets.PipelineZipTarget(),
        _ => throw new ArgumentException($"Unknown fuzz target '{name}': expected one of {string.Join(", ", Names)}"),
    };
}
