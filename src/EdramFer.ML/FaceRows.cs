using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace EdramFer.ML;

/// <summary>
/// One row per face (<see cref="FaceSelection.All"/>). ML.NET's <c>CustomMapping</c> maps one row to one row, so the crop
/// mapping writes the largest face into the face columns and packs the others into <see cref="CropColumns.MoreCrops"/>
/// and <see cref="CropColumns.MoreBoxes"/>; a <see cref="FaceRowsView"/> inserted right after that mapping turns each
/// row into one row per face, before the chain copies the face columns out (and before CLAHE and scoring). A saved zip
/// holds only the built-in chain, so the expansion is inserted again each time a fitted or loaded pipeline transforms.
/// </summary>
internal static class FaceRowExpansion
{
    /// <summary>Added to a plain Model.Load's error for the face crop mappings.</summary>
    public const string LoadHint = "; a pipeline fitted with FaceCroppingOptions.Faces = All also needs LoadEdram to give one row per face";

    /// <summary>Why a pipeline with <see cref="FaceSelection.All"/> has no row-to-row mapper (and so no PredictionEngine).</summary>
    public const string NotRowToRow =
        "DetectAndCropFace with FaceCroppingOptions.Faces = All gives one row per detected face, so it is not a row-to-row mapper " +
        "and has no PredictionEngine: call Transform on an IDataView of the images (e.g. mlContext.Data.LoadFromEnumerable) " +
        "and read its rows, or use FaceSelection.Largest for one row per image";

    /// <summary>
    /// Transforms <paramref name="input"/> with <paramref name="chain"/> (a fitted crop chain or a whole loaded pipeline),
    /// expanding the rows after every face crop mapping.
    /// </summary>
    public static IDataView Transform(ITransformer chain, IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        chain.GetOutputSchema(input.Schema); // a wrong input fails now, as TransformerChain.Transform does
        var view = input;
        foreach (var leaf in Leaves(chain))
        {
            view = leaf.Transform(view);
            if (leaf is CustomMappingTransformer<PathCropInput, FacesCropOutput> or CustomMappingTransformer<PixelsCropInput, FacesCropOutput>)
                view = new FaceRowsView(view);
        }
        return view;
    }

    private static IEnumerable<ITransformer> Leaves(ITransformer t) => t switch
    {
        // A loaded chain keeps the scopes it was saved with; Transform runs the scoring scope, as TransformerChain does.
        TransformerChain<ITransformer> chain => chain.GetModelFor(TransformerScope.Scoring).SelectMany(Leaves),
        IEnumerable<ITransformer> chain => chain.SelectMany(Leaves),
        _ => [t],
    };
}

/// <summary>
/// The rows of a crop mapping's output with each image's packed faces unfolded: the same schema, one row per face (the
/// image's own row first), every other column repeated. Row cursors and cursor sets wrap the source's cursors, so
/// ML.NET's parallel cursors keep working: the faces of an image follow it in its cursor and share its batch.
/// </summary>
internal sealed class FaceRowsView(IDataView source) : IDataView
{
    private readonly FaceSlots _slots = new(source.Schema);

    /// <summary>False: the faces of an image stay together after it.</summary>
    public bool CanShuffle => false;

    public DataViewSchema Schema => source.Schema;

    /// <summary>Unknown until the images are read.</summary>
    public long? GetRowCount() => null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new FaceRowsCursor(source.GetRowCursor(SourceColumns(columnsNeeded)), _slots);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        source.GetRowCursorSet(SourceColumns(columnsNeeded), n).Select(c => (DataViewRowCursor)new FaceRowsCursor(c, _slots)).ToArray();

    /// <summary>The columns asked for, plus the packed faces they need: the boxes always (they give the number of faces).</summary>
    private IEnumerable<DataViewSchema.Column> SourceColumns(IEnumerable<DataViewSchema.Column> needed)
    {
        var columns = needed.ToList();
        columns.Add(Schema[_slots.MoreBoxes]);
        if (columns.Any(c => c.Index == _slots.Crop)) columns.Add(Schema[_slots.MoreCrops]);
        return columns.DistinctBy(c => c.Index);
    }
}

/// <summary>Where the face columns are in the crop mapping's output.</summary>
internal sealed class FaceSlots
{
    public FaceSlots(DataViewSchema schema)
    {
        int Index(string name) => schema.GetColumnOrNull(name)?.Index
                                  ?? throw new InvalidOperationException($"Could not find column '{name}' after the face crop mapping (was the pipeline edited?)");
        Crop = Index(CropColumns.Crop);
        FaceIndex = Index(CropColumns.FaceIndex);
        Box = [Index(CropColumns.FaceX), Index(CropColumns.FaceY), Index(CropColumns.FaceWidth), Index(CropColumns.FaceHeight), Index(CropColumns.DetectorScore)];
        MoreCrops = Index(CropColumns.MoreCrops);
        MoreBoxes = Index(CropColumns.MoreBoxes);
    }

    public int Crop { get; }
    public int FaceIndex { get; }
    /// <summary>x, y, width, height, detector score: in the order of <see cref="CropColumns.MoreBoxes"/>' values per face.</summary>
    public int[] Box { get; }
    public int MoreCrops { get; }
    public int MoreBoxes { get; }
}
