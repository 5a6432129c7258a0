using EdramFer.Training.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class PerStepBatchNormTests
{
    [Fact]
    public void EdramNet_Training_KeepsSeparateStatisticsPerStep()
    {
        manual_seed(5);
        var config = TestModels.Tiny(steps: 3);
        using var net = new EdramNet(config);
        // Glimpse CNN: 6 convs + "what" ("where" has none by default: EdramConfig.WhereBatchNorm), and 2 MLP layers:
        // each with one batch norm per step.
        var norms = net.named_modules().Where(m => m.module is BatchNorm1d or BatchNorm2d).Select(m => m.name).ToList();
        int perStepLayers = 6 + 1 + 2, context = 3;
        Assert.Equal(perStepLayers * config.Steps + context, norms.Count);

        // At initialisation every step sees the same glimpse (the emission weights are zero); move them so steps differ.
        using (no_grad())
            net.named_parameters().Single(p => p.name == "emission.linear.weight").parameter.normal_(0, 0.5);
        net.train();
        using (var x = rand(8, 1, 100, 100)) net.forward(x).Dispose();
        var state = net.state_dict();
        // The first conv's running means after one batch differ between steps: each step saw its own glimpses.
        var step0 = state.Single(kv => kv.Key.EndsWith("convNorms.0.0.running_mean")).Value;
        var step1 = state.Single(kv => kv.Key.EndsWith("convNorms.0.1.running_mean")).Value;
        Assert.False(step0.equal(step1).all().item<bool>());
        Assert.NotSame(step0, step1);
    }
}
