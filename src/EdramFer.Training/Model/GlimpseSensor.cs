using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Model;

/// <summary>
/// Spatial-transformer glimpse sensor: samples a GlimpseSize² patch from the image with the affine θ
/// (PyTorch convention: θ maps normalised output-grid points to input points; zoom = θ00, θ11).
/// </summary>
public static class GlimpseSensor
{
    /// <summary>image (B, 1, H, W), theta (B, 6) → glimpse (B, 1, size, size), bilinear, zero padding.</summary>
    public static Tensor Sample(Tensor image, Tensor theta, int size, bool alignCorners)
    {
        long batch = image.shape[0];
        using var affine = theta.view(batch, 2, 3);
        using var grid = nn.functional.affine_grid(affine, new long[] { batch, image.shape[1], size, size }, alignCorners);
        return nn.functional.grid_sample(image, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, alignCorners);
    }

    /// <summary>
    /// The glimpse's rectangle in input pixels for θ without shear: centre (θ02, θ12), half-extent zoom
    /// in normalised units. Returns (x, y, width, height).
    /// </summary>
    public static (float X, float Y, float Width, float Height) ToPixelBox(ReadOnlySpan<float> theta, int inputSize)
    {
        float w = theta[0] * inputSize, h = theta[4] * inputSize;
        float cx = (theta[2] + 1f) / 2f * inputSize, cy = (theta[5] + 1f) / 2f * inputSize;
        return (cx - w / 2f, cy - h / 2f, w, h);
    }
}
