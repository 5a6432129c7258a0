using System.Text.Json.Serialization;

namespace EdramFer.Contracts;

/// <summary>Accuracy figures from a confusion matrix (rows = truth, columns = prediction), plus VA errors.</summary>
public sealed record ClassificationMetrics
{
    /// <summary>Images evaluated.</summary>
    [JsonPropertyName("count")] public long Count { get; init; }
    /// <summary>Share of images whose prediction is right (0–1).</summary>
    [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    /// <summary>Mean over the classes present of their accuracy (0–1; ML.NET's macro accuracy).</summary>
    [JsonPropertyName("mean_per_class_accuracy")] public double MeanPerClassAccuracy { get; init; }
    /// <summary>Accuracy (recall) of each class present, by label.</summary>
    [JsonPropertyName("per_class_accuracy")] public Dictionary<string, double> PerClassAccuracy { get; init; } = new();
    /// <summary>Counts: rows = true class, columns = predicted class, in <see cref="Labels"/> order.</summary>
    [JsonPropertyName("confusion_matrix")] public long[][] ConfusionMatrix { get; init; } = [];
    /// <summary>Class labels in model order.</summary>
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];
    /// <summary>Mean loss over the images (0 where not computed).</summary>
    [JsonPropertyName("loss")] public double Loss { get; init; }
    /// <summary>Valence root mean squared error, when valence labels exist.</summary>
    [JsonPropertyName("valence_rmse")] public double? ValenceRmse { get; init; }
    /// <summary>Arousal root mean squared error, when arousal labels exist.</summary>
    [JsonPropertyName("arousal_rmse")] public double? ArousalRmse { get; init; }
    /// <summary>Valence concordance correlation coefficient (null when undefined).</summary>
    [JsonPropertyName("valence_ccc")] public double? ValenceCcc { get; init; }
    /// <summary>Arousal concordance correlation coefficient (null when undefined).</summary>
    [JsonPropertyName("arousal_ccc")] public double? ArousalCcc { get; init; }

    /// <summary>Builds the metrics from truth/prediction pairs.</summary>
    public static ClassificationMetrics From(IReadOnlyList<string> labels, IReadOnlyList<int> truth, IReadOnlyList<int> predicted, double loss,
        IReadOnlyList<(float Valence, float Arousal, float PredValence, float PredArousal)>? va = null)
    {
        int c = labels.Count;
        var cm = Enumerable.Range(0, c).Select(_ => new long[c]).ToArray();
        for (int i = 0; i < truth.Count; i++) cm[truth[i]][predicted[i]]++;
        var perClass = new Dictionary<string, double>();
        var present = new List<double>();
        for (int k = 0; k < c; k++)
        {
            long n = cm[k].Sum();
            if (n == 0) continue; // a class absent from this split has no accuracy
            double acc = (double)cm[k][k] / n;
            perClass[labels[k]] = acc;
            present.Add(acc);
        }
        long correct = Enumerable.Range(0, c).Sum(k => cm[k][k]);
        var m = new ClassificationMetrics
        {
            Count = truth.Count,
            Accuracy = truth.Count == 0 ? 0 : (double)correct / truth.Count,
            MeanPerClassAccuracy = present.Count == 0 ? 0 : present.Average(),
            PerClassAccuracy = perClass,
            ConfusionMatrix = cm,
            Labels = labels.ToArray(),
            Loss = loss,
        };
        if (va is { Count: > 0 })
        {
            var v = va.Select(x => ((double)x.Valence, (double)x.PredValence)).ToArray();
            var a = va.Select(x => ((double)x.Arousal, (double)x.PredArousal)).ToArray();
            m = m with { ValenceRmse = Rmse(v), ArousalRmse = Rmse(a), ValenceCcc = Finite(Ccc(v)), ArousalCcc = Finite(Ccc(a)) };
        }
        return m;
    }

    static double? Finite(double x) => double.IsFinite(x) ? x : null; // JSON has no NaN

    /// <summary>Root mean squared error of (truth, prediction) pairs.</summary>
    public static double Rmse((double T, double P)[] xs) => Math.Sqrt(xs.Average(x => (x.T - x.P) * (x.T - x.P)));

    /// <summary>
    /// Lin's concordance correlation coefficient 2·cov / (var T + var P + (mean T − mean P)²), population moments;
    /// NaN when both sides are one constant (undefined).
    /// </summary>
    public static double Ccc((double T, double P)[] xs)
    {
        double mt = xs.Average(x => x.T), mp = xs.Average(x => x.P);
        double vt = xs.Average(x => (x.T - mt) * (x.T - mt)), vp = xs.Average(x => (x.P - mp) * (x.P - mp));
        double cov = xs.Average(x => (x.T - mt) * (x.P - mp));
        double denom = vt + vp + (mt - mp) * (mt - mp);
        return denom > 0 ? 2 * cov / denom : double.NaN;
    }
}
