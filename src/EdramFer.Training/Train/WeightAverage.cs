using EdramFer.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

/// <summary>
/// Exponential moving average of the weights (Polyak averaging): after every optimiser step each averaged parameter
/// moves a fraction 1 − decay towards the trained one; the batch norms' running statistics are copied (validation
/// recalibrates them on the averaged weights anyway). Validation, the best checkpoint and the export use the average.
/// </summary>
public static class WeightAverage
{
    /// <summary>A copy of <paramref name="model"/> (same config, weights and buffers) on the same device, in eval mode.</summary>
    public static EdramNet Copy(EdramNet model)
    {
        var copy = new EdramNet(model.Config);
        copy.to(model.parameters().First().device);
        Update(copy, model, 0);
        copy.eval();
        return copy;
    }

    /// <summary>average ← decay · average + (1 − decay) · model, parameter by parameter; buffers copied.</summary>
    public static void Update(EdramNet average, EdramNet model, double decay)
    {
        using var noGrad = no_grad();
        foreach (var ((_, a), (_, p)) in average.named_parameters().Zip(model.named_parameters()))
            a.mul_(decay).add_(p, alpha: 1 - decay);
        foreach (var ((_, a), (_, b)) in average.named_buffers().Zip(model.named_buffers()))
            a.copy_(b);
    }
}
