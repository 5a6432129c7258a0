using System.Buffers;
using EdramFer.Contracts;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.ML;

/// <summary>
/// Batched EDRAM inference on ONNX Runtime: preprocessed grey pixels in, probabilities, valence/arousal and glimpses
/// out. The fast path of <c>edram score</c> and the engine behind <c>ApplyEdram</c> (which calls it one row at a time,
/// like every ML.NET row mapper). Thread-safe: buffers are rented per call.
/// </summary>
public sealed class EdramScorer : IDisposable
{
    private static readonly string[] OutputNames = [OnnxContract.ProbabilitiesName, OnnxContract.ValenceArousalName, OnnxContract.GlimpsesName];
    private static readonly string[] OutputNamesWithSteps = [.. OutputNames, OnnxContract.StepProbabilitiesName];
    private static readonly string[] InputNames = [OnnxContract.InputName];
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    private EdramScorer(InferenceSession session, EdramModelInfo info, SessionDevice device)
    {
        _session = session;
        Info = info;
        Device = device;
        PixelCount = info.InputSize * info.InputSize;
    }

    /// <summary>The model's labels, sizes and preprocessing.</summary>
    public EdramModelInfo Info { get; }
    /// <summary>Where the session runs (and why not on the GPU, when it fell back).</summary>
    public SessionDevice Device { get; }
    /// <summary>Bytes per image: input size squared.</summary>
    public int PixelCount { get; }
    /// <summary>Number of classes.</summary>
    public int Classes => Info.Labels.Count;
    /// <summary>Floats of <see cref="EdramBatchResult.Glimpses"/> per image: steps × 6.</summary>
    public int GlimpseValues => Info.Steps * 6;

    /// <summary>
    /// Opens <paramref name="modelFile"/> and checks it is an EDRAM export. A GPU that cannot be used fails unless
    /// <paramref name="fallbackToCpu"/> (as in ML.NET's ApplyOnnxModel); <see cref="Device"/> says which ran. <paramref name="expectedSha256"/>, when
    /// given, must match the file (saved pipelines pin their model this way).
    /// </summary>
    public static EdramScorer Load(string modelFile, int? gpuDeviceId = null, bool fallbackToCpu = false, int intraOpThreads = 0, string? expectedSha256 = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFile);
        var full = Path.GetFullPath(modelFile);
        if (!File.Exists(full)) throw new FileNotFoundException($"EDRAM model file not found: '{modelFile}'", full);
        RegularFile.Require(full, "EDRAM model file");
        var sha = RequireSha256(full, expectedSha256);
        InferenceSession session;
        SessionDevice device;
        try
        {
            (session, device) = OrtSessions.Create(full, gpuDeviceId, fallbackToCpu, intraOpThreads);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"'{modelFile}' is not a loadable ONNX model: {e.Message.Trim()}", e);
        }
        try
        {
            return new EdramScorer(session, EdramModelInfo.Read(session, full, sha), device);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The SHA-256 of <paramref name="fullPath"/>; throws naming both hashes when <paramref name="expected"/> is given and differs.</summary>
    internal static string RequireSha256(string fullPath, string? expected)
    {
        var sha = EdramModelInfo.Hash(fullPath);
        if (expected is not null && !sha.Equals(expected, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"'{fullPath}' has SHA-256 {sha}, but the pipeline was built with {expected}: a different model file");
        return sha;
    }

    /// <summary>
    /// Scores a batch. A null or empty entry (an image that failed preprocessing) is not sent to the model: its
    /// probabilities, valence and arousal are NaN, its glimpses NaN and its predicted index -1.
    /// </summary>
    /// <exception cref="ArgumentException">an entry whose length is not <see cref="PixelCount"/></exception>
    public EdramBatchResult Score(IReadOnlyList<byte[]?> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var result = new EdramBatchResult(images.Count, Classes, GlimpseValues);
        var rows = new List<int>(images.Count);
        for (var i = 0; i < images.Count; i++)
        {
            var p = images[i];
            if (p is null || p.Length == 0) continue;
            if (p.Length != PixelCount)
                throw new ArgumentException($"image {i} has {p.Length} pixels, expected {Info.InputSize}x{Info.InputSize} = {PixelCount}", nameof(images));
            rows.Add(i);
        }
        if (rows.Count == 0) return result;
        var packed = ArrayPool<byte>.Shared.Rent(rows.Count * PixelCount);
        var probs = ArrayPool<float>.Shared.Rent(rows.Count * Classes);
        var va = ArrayPool<float>.Shared.Rent(rows.Count * 2);
        var glimpses = ArrayPool<float>.Shared.Rent(rows.Count * GlimpseValues);
        try
        {
            for (var k = 0; k < rows.Count; k++) images[rows[k]]!.CopyTo(packed, k * PixelCount);
            Run(packed.AsSpan(0, rows.Count * PixelCount), rows.Count, probs, va, glimpses);
            for (var k = 0; k < rows.Count; k++)
            {
                var i = rows[k];
                probs.AsSpan(k * Classes, Classes).CopyTo(result.Probabilities.AsSpan(i * Classes, Classes));
                va.AsSpan(k * 2, 2).CopyTo(result.ValenceArousal.AsSpan(i * 2, 2));
                glimpses.AsSpan(k * GlimpseValues, GlimpseValues).CopyTo(result.Glimpses.AsSpan(i * GlimpseValues, GlimpseValues));
                result.Predicted[i] = ArgMax(result.Probabilities.AsSpan(i * Classes, Classes));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packed);
            ArrayPool<float>.Shared.Return(probs);
            ArrayPool<float>.Shared.Return(va);
            ArrayPool<float>.Shared.Return(glimpses);
        }
        return result;
    }

    /// <summary>
    /// Runs the model on <paramref name="count"/> images packed in <paramref name="pixels"/> (count × <see cref="PixelCount"/>
    /// bytes) and writes count × C probabilities, count × 2 valence/arousal and count × T × 6 glimpse values.
    /// </summary>
    public void Run(ReadOnlySpan<byte> pixels, int count, Span<float> probabilities, Span<float> valenceArousal, Span<float> glimpses) =>
        Run(pixels, count, probabilities, valenceArousal, glimpses, Span<float>.Empty);

    /// <summary>
    /// As above, and also count × T × C probabilities after every glimpse into <paramref name="stepProbabilities"/>
    /// (only requested from ONNX Runtime when that span is not empty).
    /// </summary>
    public void Run(ReadOnlySpan<byte> pixels, int count, Span<float> probabilities, Span<float> valenceArousal, Span<float> glimpses,
        Span<float> stepProbabilities)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "at least one image");
        if (pixels.Length != count * PixelCount)
            throw new ArgumentException($"{pixels.Length} bytes for {count} images of {PixelCount} pixels", nameof(pixels));
        var n = count * PixelCount;
        var input = ArrayPool<float>.Shared.Rent(n);
        try
        {
            float scale = Info.InputScale, offset = Info.InputOffset;
            for (var i = 0; i < n; i++) input[i] = pixels[i] * scale + offset;
            using var tensor = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, n),
                [count, 1, Info.InputSize, Info.InputSize]);
            bool steps = !stepProbabilities.IsEmpty;
            using var outputs = _session.Run(_runOptions, InputNames, [tensor], steps ? OutputNamesWithSteps : OutputNames);
            outputs[0].GetTensorDataAsSpan<float>()[..(count * Classes)].CopyTo(probabilities);
            outputs[1].GetTensorDataAsSpan<float>()[..(count * 2)].CopyTo(valenceArousal);
            outputs[2].GetTensorDataAsSpan<float>()[..(count * GlimpseValues)].CopyTo(glimpses);
            if (steps) outputs[3].GetTensorDataAsSpan<float>()[..(count * Info.Steps * Classes)].CopyTo(stepProbabilities);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    /// <summary>Index of the largest value (first on ties); -1 when any value is NaN.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = -1;
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i])) return -1;
            if (best < 0 || values[i] > values[best]) best = i;
        }
        return best;
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}

/// <summary>Outputs of one <see cref="EdramScorer.Score"/> call, row-major; rows that were not scored hold NaN.</summary>
public sealed class EdramBatchResult
{
    internal EdramBatchResult(int count, int classes, int glimpseValues)
    {
        Count = count;
        Classes = classes;
        Probabilities = new float[count * classes];
        ValenceArousal = new float[count * 2];
        Glimpses = new float[count * glimpseValues];
        Predicted = new int[count];
        Array.Fill(Probabilities, float.NaN);
        Array.Fill(ValenceArousal, float.NaN);
        Array.Fill(Glimpses, float.NaN);
        Array.Fill(Predicted, -1);
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }
    /// <summary>Number of classes.</summary>
    public int Classes { get; }
    /// <summary>[Count × Classes] probabilities.</summary>
    public float[] Probabilities { get; }
    /// <summary>[Count × 2] valence, arousal (raw model output; see <see cref="EdramModelInfo.HasValenceArousal"/>).</summary>
    public float[] ValenceArousal { get; }
    /// <summary>[Count × T × 6] affine θ per glimpse.</summary>
    public float[] Glimpses { get; }
    /// <summary>Arg-max class per image; -1 when not scored.</summary>
    public int[] Predicted { get; }

    /// <summary>The probabilities of image <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> ProbabilitiesOf(int i) => Probabilities.AsSpan(i * Classes, Classes);
}
