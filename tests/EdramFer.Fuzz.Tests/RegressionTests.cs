using EdramFer.Cli.Scoring;
using EdramFer.Fuzz;
using EdramFer.Fuzz.Seeds;
using EdramFer.Fuzz.Targets;
using EdramFer.ML;
using EdramFer.Vision;
using Microsoft.ML;

namespace EdramFer.Fuzz.Tests;

/// <summary>
/// The defects fuzzing found, each through the product's own entry point with the input kept in fuzz/corpus (which
/// FuzzTargetTests replays too). Each comment says what happened before the fix.
/// </summary>
[Collection("fuzz")]
public class RegressionTests
{
    private static byte[] Corpus(string target, string file) => File.ReadAllBytes(Path.Combine(FuzzCommands.CorpusFolder(target), file));

    /// <summary>A new temporary folder, deleted with everything in it however the test ends.</summary>
    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("edramfer-fuzz-test-").FullName;
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    // Before the fix: this 52-byte PNG declares a 1.78 GB IDAT chunk; OpenCV's PNG reader allocated it before reading
    // (1.76 GB resident, 8 s) and only then failed, so a few such files in parallel could exhaust memory.
    [Fact]
    public void ProcessEncoded_PngChunkLongerThanTheData_RefusedAsTruncatedBeforeDecoding()
    {
        using var preprocessor = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = preprocessor.ProcessEncoded(Corpus("image", "regression-png-idat-length-1.7gb.png"), "bomb.png");

        Assert.Equal(PreprocessStatus.Undecodable, result.Status);
        Assert.Contains("truncated PNG (chunk 'IDAT' at byte 33 declares 1,783,635,996 bytes, 7 remain)", result.Message);
    }

    // Before the fix: the header check kept the last of two ImageLength tags (5 rows), libtiff the first (6), so the
    // size guard judged a smaller image than the decoder then allocated; here it refused only after decoding.
    [Fact]
    public void ProcessEncoded_TiffWithDuplicatedImageLength_GuardReadsTheDecodersSize()
    {
        using var preprocessor = new FacePreprocessor(new PreprocessOptions { Detectors = [], MaxPixels = 45 }); // 8x5 = 40 fits, 8x6 = 48 does not

        var result = preprocessor.ProcessEncoded(Corpus("image", "regression-tiff-duplicate-image-length.tif"), "two-heights.tif");

        Assert.Equal(PreprocessStatus.TooLarge, result.Status);
        Assert.Contains("TIFF header declares 8x6 = 48 pixels, more than MaxPixels = 45; refused before decoding", result.Message);
    }

    // Before the fix: the refusal message multiplied the declared sizes as decimal, which overflowed for a width of
    // 20 digits (read as long.MaxValue) times 42,948,672,956: OverflowException instead of TooLarge.
    [Fact]
    public void ProcessEncoded_PbmSizeBeyondDecimal_TooLarge()
    {
        using var preprocessor = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = preprocessor.ProcessEncoded(Corpus("image", "regression-pbm-size-overflows-decimal.pbm"), "huge.pbm");

        Assert.Equal(PreprocessStatus.TooLarge, result.Status);
        Assert.Contains("PBM header declares 9223372036854775807x42948672956 = ", result.Message);
    }

    // Before the fix: text headers gave negative sizes ("WIDTH -5", "-Y -2"), which the pixel limit let through
    // (-5 x 5 is not more than the limit) to the decoder. Mutation found both (8x-142949672956, -12956x6); these are
    // readable versions.
    [Theory]
    [InlineData("regression-pam-negative-width.pam", "corrupt PAM header (it declares -5x5: a negative size)")]
    [InlineData("regression-hdr-negative-height.hdr", "corrupt Radiance HDR header (it declares 2x-2: a negative size)")]
    public void ProcessEncoded_NegativeDeclaredSize_RefusedAsCorruptHeader(string file, string message)
    {
        using var preprocessor = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = preprocessor.ProcessEncoded(Corpus("image", file), file);

        Assert.Equal(PreprocessStatus.Undecodable, result.Status);
        Assert.Equal($"{file}: {message}", result.Message);
    }

    // Before the fix: Path.GetFullPath threw "Null character in path" from Next(), which ended `edram score` with
    // "score failed" and no row written, the following rows included.
    [Fact]
    public void Next_PathWithNul_RowErrorAndTheFollowingRowsRead()
    {
        using var folder = new TempFolder();
        var csv = folder.File("in.csv");
        File.WriteAllText(csv, "path,id\nx\0y.jpg,1\nb.jpg,2\n");
        using var input = new CsvInput(csv, "path");

        var first = input.Next()!;
        var second = input.Next()!;

        Assert.Equal("line 2: 'path' contains a NUL character, which no file name can hold", first.PathError);
        Assert.Equal(folder.File("b.jpg"), second.ResolvedPath);
        Assert.Null(input.Next());
    }

    // Before the fix: ONNX Runtime's .NET wrapper threw NullReferenceException reading the metadata, because it looks a
    // value up by its key read back as text and this key holds NUL and a byte that is not UTF-8.
    [Fact]
    public void Read_MetadataKeyWithNul_InvalidDataNamingTheFile()
    {
        using var folder = new TempFolder();
        var model = folder.File("m.onnx");
        File.WriteAllBytes(model, Corpus("onnx-metadata", "regression-metadata-key-nul.onnx"));

        var e = Assert.Throws<InvalidDataException>(() => EdramModelInfo.Read(model));

        Assert.Contains($"'{model}' has metadata that ONNX Runtime cannot read back", e.Message);
    }

    // Before the fix, each of these zips made EdramPipeline.Load throw something other than its documented exceptions:
    // JsonReaderException (state not JSON), NullReferenceException (state null), ArgumentNullException and
    // ArgumentException (model path null or empty), InvalidOperationException (other JSON shapes); and a state whose
    // hash was null loaded without its model being checked at all.
    [Theory]
    [InlineData("regression-chain-count.zip", "is not a readable ML.NET pipeline zip: the transformer chain in 'TransformerChain/' declares 1936613746 transforms but holds 8.")]
    [InlineData("regression-schema-loop.zip", "is not a readable ML.NET pipeline zip: its input schema is damaged (read past the end of the input schema)")]
    [InlineData("state-not-json.zip", "holds a damaged EdramFer transform state (not the JSON it was saved as")]
    [InlineData("state-null.zip", "holds a damaged ApplyEdram state")]
    [InlineData("state-model-path-null.zip", "holds a damaged ApplyEdram state")]
    [InlineData("state-model-path-empty.zip", "holds a damaged ApplyEdram state")]
    [InlineData("state-sha-null.zip", "holds a damaged ApplyEdram state")]
    [InlineData("state-kind-number.zip", null)]
    [InlineData("state-array.zip", null)]
    [InlineData("state-intact.zip", null)]
    public void Load_DamagedState_InvalidDataOrNotOurs(string zip, string? refusal)
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File(PipelineZipTarget.ModelFileName), TinyEdramModel.Bytes());
        var path = folder.File(zip);
        File.WriteAllBytes(path, Corpus("pipeline-zip", zip));
        var ml = new MLContext(seed: 0);

        if (refusal is null)
        {
            using var model = ml.Model.LoadEdram(path);
            Assert.Equal(zip == "state-intact.zip" ? 1 : 0, model.Scoring.Count);
        }
        else
        {
            var e = Assert.Throws<InvalidDataException>(() => ml.Model.LoadEdram(path));
            Assert.Contains($"'{path}' {refusal}", e.Message);
        }
    }
}
