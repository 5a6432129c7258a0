using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class TorchSharpLoadingTests
{
    [Fact]
    public void AffineGridAndGridSample_IdentityTheta_ReturnsInput()
    {
        using var input = arange(16, dtype: ScalarType.Float32).reshape(1, 1, 4, 4);
        using var theta = tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(1, 2, 3);
        using var grid = nn.functional.affine_grid(theta, new long[] { 1, 1, 4, 4 }, align_corners: false);
        using var output = nn.functional.grid_sample(input, grid, align_corners: false);
        Assert.True(output.allclose(input, atol: 1e-5));
    }
}
