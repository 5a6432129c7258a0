using EdramFer.Tests.Shared;
using EdramFer.Vision;

namespace EdramFer.ML.Tests;

/// <summary>The pipelined scorer of <c>edram score</c>: batches prepared ahead change nothing in what comes out.</summary>
public class OnnxImageScorerTests
{
    [SharedDataFact("muxspace_facial_expressions")]
    public void ScoreFaces_BatchSizes_SameScoresInInputOrder()
    {
        // Photos with a face, a missing file and a non-image among them, so batches hold failures as well as faces.
        var paths = TestModels.Muxspace(9).ToList();
        paths.Insert(2, "missing.jpg");
        paths.Insert(7, Path.Combine(SharedData.RepoRoot, "README.md"));
        var model = Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");
        IReadOnlyList<IReadOnlyList<ImageScore>> Score(int batch)
        {
            using var scorer = new OnnxImageScorer(EdramScorer.Load(model), new PreprocessOptions(), batch);
            return scorer.ScoreFaces(paths, maxFaces: 4);
        }

        var one = Score(1);
        Assert.Equal(paths.Count, one.Count);
        Assert.Equal("error", one[2][0].Status);
        Assert.Equal("error", one[7][0].Status);
        Assert.True(one.Count(faces => faces[0].Status == "ok") >= 8);
        foreach (var batch in new[] { 3, 64 })
        {
            var other = Score(batch);
            Assert.Equal(one.Select(f => f.Count), other.Select(f => f.Count));
            for (int i = 0; i < one.Count; i++)
                for (int k = 0; k < one[i].Count; k++)
                {
                    Assert.Equal(one[i][k].Label, other[i][k].Label);
                    Assert.Equal(one[i][k].Face, other[i][k].Face);
                    Assert.Equal(one[i][k].Probabilities, other[i][k].Probabilities, (a, b) => (float.IsNaN(a) && float.IsNaN(b)) || Math.Abs(a - b) < 1e-5f);
                }
        }
    }
}
