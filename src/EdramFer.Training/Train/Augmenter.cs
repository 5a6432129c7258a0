using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

/// <summary>
/// Online augmentation on a batch (B, 1, H, W) in [0, 1]: random rotation, scale and shift, horizontal
/// flip, brightness and contrast. Driven by an explicit generator so a seeded run is reproducible.
/// </summary>
public sealed record Augmenter(
    double MaxRotationDegrees = 10, double MaxScale = 0.1, double MaxShift = 0.1,
    double FlipProbability = 0.5, double MaxBrightness = 0.1, double MaxContrast = 0.2)
{
    public Tensor Apply(Tensor batch, Generator generator)
    {
        using var scope = NewDisposeScope();
        long b = batch.shape[0];
        Tensor U(double range) => (rand(b, generator: generator) * 2 - 1) * range;   // uniform in [-range, range]
        var angle = U(MaxRotationDegrees * Math.PI / 180);
        var scale = 1 + U(MaxScale);
        var flip = where(rand(b, generator: generator) < FlipProbability, -1f, 1f);
        var tx = U(MaxShift); var ty = U(MaxShift);
        // θ maps output to input points: rotate, then divide by scale (zoom in when scale > 1), flip x.
        var cos = angle.cos() / scale; var sin = angle.sin() / scale;
        var theta = stack(new[] { cos * flip, -sin, tx, sin * flip, cos, ty }, 1).view(b, 2, 3);
        var grid = nn.functional.affine_grid(theta, batch.shape, align_corners: false);
        var x = nn.functional.grid_sample(batch, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
        var mean = x.mean(new long[] { 1, 2, 3 }, keepdim: true);
        var contrast = (1 + U(MaxContrast)).view(b, 1, 1, 1);
        var brightness = U(MaxBrightness).view(b, 1, 1, 1);
        x = ((x - mean) * contrast + mean + brightness).clamp(0f, 1f);
        return x.MoveToOuterDisposeScope();
    }
}
