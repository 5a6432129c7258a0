using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdramFer.Training.Model;

/// <summary>
/// Emission network: localisation state → affine θ (B, 6) = (zoom x, shear, x, shear, zoom y, y).
/// Zero weights and an identity bias, so the first glimpses see the whole face; translation and shear
/// pass through tanh (stay inside the image), zoom entries are clipped to [0, ZoomLimit].
/// </summary>
public sealed class EmissionNetwork : Module<Tensor, Tensor>
{
    internal readonly Linear linear;
    internal readonly float _zoomLimit;
    private readonly Tensor _zoomMask;

    public EmissionNetwork(EdramConfig c) : base(nameof(EmissionNetwork))
    {
        _zoomLimit = c.ZoomLimit;
        linear = Linear(c.LocaliserHidden, 6);
        using (no_grad())
        {
            linear.weight!.zero_();
            // Start at the widest allowed zoom: a bias above the limit would sit in the clip's flat region.
            linear.bias!.copy_(tensor(new[] { c.ZoomLimit, 0f, 0f, 0f, c.ZoomLimit, 0f }));
        }
        _zoomMask = tensor(new[] { true, false, false, false, true, false });
        register_buffer("zoom_mask", _zoomMask, persistent: false);
        RegisterComponents();
    }

    /// <summary>state (B, H) → θ (B, 6).</summary>
    public override Tensor forward(Tensor state)
    {
        using var scope = NewDisposeScope();
        var raw = linear.forward(state);
        var theta = where(_zoomMask, raw.clamp(0f, _zoomLimit), raw.tanh());
        return theta.MoveToOuterDisposeScope();
    }
}
