namespace EdramFer.ML.Quantization;

/// <summary>How closely a quantized model follows its float original on the same faces.</summary>
/// <param name="Images">Faces compared.</param>
/// <param name="Agreement">Share of faces with the same predicted label.</param>
/// <param name="MaxAbsDifference">Largest difference of any class probability.</param>
/// <param name="MeanAbsDifference">Mean difference over faces and classes.</param>
public sealed record QuantizationParity(int Images, double Agreement, double MaxAbsDifference, double MeanAbsDifference)
{
    /// <summary>Scores <paramref name="faces"/> with both models (ONNX Runtime, CPU) and compares the probabilities.</summary>
    public static QuantizationParity Compare(string floatModel, string quantizedModel, IReadOnlyList<byte[]> faces, int batchSize = 32)
    {
        using var a = EdramScorer.Load(floatModel);
        using var b = EdramScorer.Load(quantizedModel);
        if (!a.Info.Labels.SequenceEqual(b.Info.Labels)) throw new InvalidDataException("the two models have different labels");
        int same = 0;
        double max = 0, sum = 0;
        for (int start = 0; start < faces.Count; start += batchSize)
        {
            var batch = faces.Skip(start).Take(batchSize).Cast<byte[]?>().ToList();
            var (ra, rb) = (a.Score(batch), b.Score(batch));
            for (int i = 0; i < batch.Count; i++) same += ra.Predicted[i] == rb.Predicted[i] ? 1 : 0;
            for (int k = 0; k < ra.Probabilities.Length; k++)
            {
                var d = Math.Abs(ra.Probabilities[k] - rb.Probabilities[k]);
                max = Math.Max(max, d);
                sum += d;
            }
        }
        return new QuantizationParity(faces.Count, (double)same / faces.Count, max, sum / Math.Max(1, faces.Count * a.Classes));
    }
}
