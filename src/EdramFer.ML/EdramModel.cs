using System.Text.Json;
using Microsoft.ML;

namespace EdramFer.ML;

/// <summary>
/// A saved EdramFer pipeline loaded by <c>mlContext.Model.LoadEdram(path)</c>: an <see cref="ITransformer"/> that
/// owns the ONNX sessions and face detectors its rows use. Dispose it to release them. A pipeline fitted with
/// <see cref="FaceSelection.All"/> gives one row per face again: <see cref="EdramTransformer.Transform"/> unfolds the
/// faces the saved chain packs per image.
/// </summary>
public sealed class EdramModel : EdramTransformer
{
    internal EdramModel(ITransformer chain, PipelineResources resources, string filePath, DataViewSchema inputSchema, bool oneRowPerFace)
        : base(chain, resources, oneRowPerFace)
    {
        FilePath = filePath;
        InputSchema = inputSchema;
    }

    /// <summary>The full path of the zip it was loaded from; saved relative paths resolve against its folder.</summary>
    public string FilePath { get; }

    /// <summary>The input schema the pipeline was saved with.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>The saved state of every <c>ApplyEdram</c> in the pipeline (model reference, hash, GPU settings, labels).</summary>
    public IReadOnlyList<EdramScoringState> Scoring => EdramPipeline.FindScoring(this);

    /// <summary>
    /// Where each <c>ApplyEdram</c>'s session runs (<c>cuda:N</c> or <c>cpu</c>), in pipeline order, with the reason when a
    /// requested GPU was not used. The sessions are opened at load, so this is known before the first row.
    /// </summary>
    public IReadOnlyList<SessionDevice> Devices => Resources.States<ScoringMapping>().Select(m => m.Scorer.Device).ToList();
}

/// <summary><c>mlContext.Model.LoadEdram(path)</c>: the one way to load a saved EdramFer pipeline.</summary>
public static class EdramModelLoading
{
    /// <summary>
    /// Loads a pipeline saved with <c>mlContext.Model.Save</c> (an <c>edram pipeline</c> zip, or any pipeline with EdramFer
    /// transforms). Saved relative paths (model, detector files, image folder) resolve against the zip's folder, so
    /// the zip and its files can move together. Each <c>ApplyEdram</c> model is opened now and its device written to
    /// <c>mlContext.Log</c>.
    /// </summary>
    /// <param name="catalog"><c>mlContext.Model</c></param>
    /// <param name="filePath">the pipeline zip</param>
    /// <returns>The pipeline, which owns its sessions and detectors: dispose it.</returns>
    /// <exception cref="InvalidDataException">
    /// the file is not a readable pipeline zip, holds a damaged EdramFer state, or its model is not a regular file or not
    /// the file the pipeline was built with (its SHA-256 differs); the message names the resolved path
    /// </exception>
    /// <exception cref="FileNotFoundException">the zip, or its model at every path tried (all named)</exception>
    public static EdramModel LoadEdram(this ModelOperationsCatalog catalog, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var env = CatalogEnvironment.Of(catalog);
        CatalogEnvironment.Register(env);
        var full = Path.GetFullPath(filePath);
        RegularFile.Require(full, "pipeline zip");
        var resources = new PipelineResources(Path.GetDirectoryName(full)!, CatalogEnvironment.Logger(env));
        try
        {
            ITransformer chain;
            DataViewSchema inputSchema;
            using (PipelineResources.BeginLoad(resources)) chain = Read(catalog, full, out inputSchema);
            var oneRowPerFace = OpenModels(chain, resources, full);
            return new EdramModel(chain, resources, full, inputSchema, oneRowPerFace);
        }
        catch
        {
            resources.Dispose();
            throw;
        }
    }

    private static ITransformer Read(ModelOperationsCatalog catalog, string full, out DataViewSchema inputSchema)
    {
        PipelineZipCheck.Require(full);
        try
        {
            return catalog.Load(full, out inputSchema);
        }
        catch (Exception e) when (e is not (FileNotFoundException or OutOfMemoryException))
        {
            // ML.NET says "Failed to open a zip archive", its cause says why (e.g. "Central Directory corrupt").
            var cause = e.InnerException is { } inner ? $" ({inner.Message.Trim()})" : "";
            throw new InvalidDataException($"'{full}' is not a readable ML.NET pipeline zip: {e.Message.Trim()}{cause}", e);
        }
    }

    /// <summary>
    /// Opens every saved ApplyEdram model now, so a missing or changed model fails the load, not the first row. Returns
    /// true when a saved DetectAndCropFace keeps every face (<see cref="FaceSelection.All"/>).
    /// </summary>
    private static bool OpenModels(ITransformer chain, PipelineResources resources, string zip)
    {
        try
        {
            var allFaces = false;
            foreach (var (payload, kind) in EdramPipeline.Payloads(chain))
            {
                allFaces |= kind == EdramPipeline.CropKind && StateChannel.DecodeHeader<CropState>(payload.Span).Faces == FaceSelection.All;
                if (kind != EdramPipeline.ScoringKind) continue;
                EdramPipeline.IntactScoringState(payload, zip);
                resources.Get(payload, p => ScoringMapping.Open(p, resources));
            }
            return allFaces;
        }
        catch (JsonException e)
        {
            // A damaged state table still loads in ML.NET; its text is then not the JSON it was saved as (found by fuzzing).
            throw new InvalidDataException($"'{zip}' holds a damaged EdramFer transform state (not the JSON it was saved as: {e.Message})", e);
        }
    }
}
