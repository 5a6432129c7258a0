using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;

namespace EdramFer.Notebooks.Tests;

/// <summary>What one executed cell produced.</summary>
/// <param name="Index">0-based cell index in the notebook</param>
/// <param name="Code">the code that ran</param>
/// <param name="Error">the failure message, or null</param>
/// <param name="Outputs">displayed values and standard output (text/html, text/plain, …)</param>
public sealed record CellResult(int Index, string Code, string? Error, IReadOnlyList<string> Outputs);

/// <summary>
/// Executes a .ipynb headlessly: parsed with Microsoft.DotNet.Interactive.Documents, its C# cells submitted in order to
/// one <see cref="CSharpKernel"/> (with the kernel helpers <c>display</c>, <c>HTML</c>), as Polyglot Notebooks would.
/// Each cell runs as written in the file (nothing rewritten): relative <c>#r</c> paths resolve against the current
/// directory, which the caller sets to the notebook's folder, as Jupyter and <c>dotnet-repl</c> started there do.
/// </summary>
public static class NotebookRunner
{
    /// <summary>Runs every C# cell; stops at the first failing one.</summary>
    public static async Task<IReadOnlyList<CellResult>> RunAsync(string notebookPath)
    {
        var document = Notebook.Parse(await File.ReadAllTextAsync(notebookPath));
        using var kernel = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        var results = new List<CellResult>();
        var index = -1;
        foreach (var element in document.Elements)
        {
            index++;
            if (element.KernelName is not ("csharp" or "C#")) continue; // markdown cells
            var code = element.Contents;
            var outputs = new List<string>();
            string? error = null;
            var result = await kernel.SendAsync(new SubmitCode(code));
            foreach (var e in result.Events)
                switch (e)
                {
                    case CommandFailed failed:
                        error = failed.Message + (failed.Exception is { } x ? "\n" + x : "");
                        break;
                    case DiagnosticsProduced d when d.Diagnostics.Any(x => x.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error):
                        error ??= string.Join("\n", d.Diagnostics.Where(x => x.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
                        break;
                    case DisplayEvent display:
                        outputs.AddRange(display.FormattedValues.Select(v => $"{v.MimeType}: {v.Value}"));
                        break;
                }
            results.Add(new CellResult(index, code, error, outputs));
            if (error is not null) break;
        }
        return results;
    }
}
