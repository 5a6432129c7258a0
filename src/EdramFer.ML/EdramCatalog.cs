using EdramFer.Vision;
using Microsoft.ML;

namespace EdramFer.ML;

/// <summary>
/// EdramFer's ML.NET transforms: <c>mlContext.Transforms.DetectAndCropFace(..)</c>, <c>ApplyClahe(..)</c>,
/// <c>PreprocessFace(..)</c> (the two composed, = EdramFer.Vision's <see cref="FacePreprocessor"/>) and
/// <c>ApplyEdram(..)</c>. Every fitted result saves and loads with <c>mlContext.Model.Save/Load</c>.
/// </summary>
public static class EdramCatalog
{
    /// <summary>Detects the largest face and crops it square, grey and resized (no CLAHE).</summary>
    /// <param name="catalog">the transforms catalog</param>
    /// <param name="outputColumnName">crop column: <c>Vector&lt;Byte&gt;</c> of OutputSize² pixels, empty when the row failed</param>
    /// <param name="inputColumnName">image path (String) or image (MLImage, e.g. from LoadImages) column; null = <paramref name="outputColumnName"/></param>
    /// <param name="preprocess">detector chain and crop settings; null = defaults (Haar)</param>
    /// <param name="imageFolder">folder for relative paths; null = current directory</param>
    /// <remarks>
    /// Also adds <c>FaceFound</c> (Boolean), <c>PreprocessStatus</c> (String), <c>Error</c> (String, empty when fine) and
    /// the <see cref="FaceColumns"/>: FaceCount, FaceIndex (Int32), FaceX, FaceY, FaceWidth, FaceHeight (Single, source
    /// pixels), Detector (String), DetectorScore (Single). One row per detected face: the options overload with
    /// <see cref="FaceCroppingOptions.Faces"/> = <see cref="FaceSelection.All"/>.
    /// </remarks>
    public static FaceCroppingEstimator DetectAndCropFace(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null,
        PreprocessOptions? preprocess = null, string? imageFolder = null) =>
        catalog.DetectAndCropFace(new FaceCroppingOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, Preprocess = preprocess ?? new PreprocessOptions(), ImageFolder = imageFolder,
        });

    /// <summary>Detects and crops faces with every option: status column names, and <see cref="FaceSelection.All"/> for one row per face.</summary>
    public static FaceCroppingEstimator DetectAndCropFace(this TransformsCatalog catalog, FaceCroppingOptions options) =>
        new(catalog, options);

    /// <summary>CLAHE of a square grey image column (EdramFer.Vision's <see cref="Clahe.Apply"/>).</summary>
    /// <param name="catalog">the transforms catalog</param>
    /// <param name="outputColumnName"><c>Vector&lt;Byte&gt;</c>, same size as the input; empty for an empty input</param>
    /// <param name="inputColumnName"><c>Vector&lt;Byte&gt;</c> square grey image; null = <paramref name="outputColumnName"/></param>
    /// <param name="clipLimit">contrast limit; &lt;= 0 copies the input</param>
    /// <param name="tileGrid">tiles per side</param>
    public static ClaheEstimator ApplyClahe(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null,
        double clipLimit = 2.0, int tileGrid = 8) =>
        catalog.ApplyClahe(new ClaheOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ClipLimit = clipLimit, TileGrid = tileGrid });

    /// <summary>CLAHE with an options record.</summary>
    public static ClaheEstimator ApplyClahe(this TransformsCatalog catalog, ClaheOptions options) => new(catalog, options);

    /// <summary>
    /// DetectAndCropFace then ApplyClahe with <paramref name="preprocess"/>'s CLAHE settings: the same bytes as
    /// <see cref="FacePreprocessor"/> with those options.
    /// </summary>
    /// <param name="catalog">the transforms catalog</param>
    /// <param name="outputColumnName"><c>Vector&lt;Byte&gt;</c> preprocessed face (input of ApplyEdram); empty when the row failed</param>
    /// <param name="inputColumnName">image path (String) or image (MLImage, e.g. from LoadImages) column; null = <paramref name="outputColumnName"/></param>
    /// <param name="preprocess">all preprocessing settings (e.g. a model's <see cref="EdramModelInfo.Preprocess"/> with detector paths)</param>
    /// <param name="imageFolder">folder for relative paths; null = current directory</param>
    public static IEstimator<ITransformer> PreprocessFace(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null,
        PreprocessOptions? preprocess = null, string? imageFolder = null) =>
        catalog.PreprocessFace(new FaceCroppingOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, Preprocess = preprocess ?? new PreprocessOptions(), ImageFolder = imageFolder,
        });

    /// <summary>
    /// PreprocessFace with crop options; CLAHE settings come from <see cref="FaceCroppingOptions.Preprocess"/>. With
    /// <see cref="FaceSelection.All"/> every face gets its own row before CLAHE, so an <c>ApplyEdram</c> after it scores each face.
    /// </summary>
    public static IEstimator<ITransformer> PreprocessFace(this TransformsCatalog catalog, FaceCroppingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return catalog.DetectAndCropFace(options).Append(catalog.ApplyClahe(new ClaheOptions
        {
            OutputColumnName = options.OutputColumnName,
            ClipLimit = options.Preprocess.ClaheClipLimit,
            TileGrid = options.Preprocess.ClaheTileGrid,
        }));
    }

    /// <summary>Scores preprocessed faces with an EDRAM ONNX model (see <see cref="EdramScoringEstimator"/>).</summary>
    /// <param name="catalog">the transforms catalog</param>
    /// <param name="modelFile">EDRAM ONNX export</param>
    /// <param name="inputColumnName"><c>Vector&lt;Byte&gt;</c> preprocessed face column</param>
    /// <param name="gpuDeviceId">CUDA device or null for CPU; kept by saved pipelines</param>
    /// <param name="fallbackToCpu">use the CPU when the GPU is unavailable (else fail); kept by saved pipelines. The fitted transformer's <c>Device</c> says which ran.</param>
    /// <remarks>Adds PredictedLabel (key; labels as key values), Score (<c>Vector&lt;Single, C&gt;</c>, slot names = labels), Valence, Arousal (Single), Glimpses (<c>Vector&lt;Single&gt;</c>, steps × 6 θ: see <see cref="GlimpseGeometry"/>).</remarks>
    public static EdramScoringEstimator ApplyEdram(this TransformsCatalog catalog, string modelFile, string inputColumnName = "Face",
        int? gpuDeviceId = null, bool fallbackToCpu = false) =>
        catalog.ApplyEdram(new EdramScoringOptions { ModelFile = modelFile, InputColumnName = inputColumnName, GpuDeviceId = gpuDeviceId, FallbackToCpu = fallbackToCpu });

    /// <summary>ApplyEdram with every option (output column names, threads, pipeline folder).</summary>
    public static EdramScoringEstimator ApplyEdram(this TransformsCatalog catalog, EdramScoringOptions options) => new(catalog, options);

    /// <summary>
    /// Maps a text label column to a key column matching ApplyEdram's PredictedLabel (key values = <paramref name="labels"/>),
    /// case-insensitively; fitting fails naming any unknown label.
    /// </summary>
    /// <param name="catalog"><c>mlContext.Transforms.Conversion</c></param>
    /// <param name="outputColumnName">key column (<c>Key&lt;UInt32, labels.Count&gt;</c>)</param>
    /// <param name="labels">the model's labels in order (<see cref="EdramModelInfo.Labels"/>)</param>
    /// <param name="inputColumnName">String label column; null = <paramref name="outputColumnName"/></param>
    public static LabelMappingEstimator MapLabelToKey(this TransformsCatalog.ConversionTransforms catalog, string outputColumnName, IReadOnlyList<string> labels,
        string? inputColumnName = null) =>
        catalog.MapLabelToKey(new LabelMappingOptions { OutputColumnName = outputColumnName, Labels = labels, InputColumnName = inputColumnName });

    /// <summary>MapLabelToKey with aliases (a dataset's spellings) and the choice to drop rows with unknown labels.</summary>
    public static LabelMappingEstimator MapLabelToKey(this TransformsCatalog.ConversionTransforms catalog, LabelMappingOptions options) =>
        new(catalog, options);

    /// <summary>The old place of <c>Conversion.MapLabelToKey</c>.</summary>
    [Obsolete("Use mlContext.Transforms.Conversion.MapLabelToKey (ML.NET keeps key mappings on Conversion, like MapValueToKey).")]
    public static LabelMappingEstimator MapLabelToKey(this TransformsCatalog catalog, string outputColumnName, IReadOnlyList<string> labels, string? inputColumnName = null) =>
        catalog.Conversion.MapLabelToKey(outputColumnName, labels, inputColumnName);
}
