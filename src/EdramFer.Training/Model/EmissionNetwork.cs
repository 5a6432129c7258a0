using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdramFer.Training.Model;

/// <summary>
/// Emission network: localisation state → affine θ (B, 6) in PyTorch's affine_grid convention
/// (θ00, θ01, θ02, θ10, θ11, θ12). Zero weights, so every image starts from the bias.
/// <list type="bullet">
/// <item><see cref="EmissionKind.Bounded"/>: the linear layer emits (scale, x, y[, rotation]); θ is assembled as
/// s·R(r) with translation (tx, ty). s ∈ [MinZoom, ZoomLimit] through a sigmoid, r ∈ ±MaxRotation through tanh,
/// and the translation through tanh scaled by the room left, 1 − s·(|cos r| + |sin r|), so that the whole glimpse
/// stays inside the image (or by 1, keeping only the centre inside; a rotated glimpse that must stay inside is
/// shrunk to fit). Starts centred near the largest scale.</item>
/// <item><see cref="EmissionKind.Affine"/> (EDRAM's): zoom entries clipped to [0, ZoomLimit], the others through tanh.</item>
/// </list>
/// </summary>
public sealed class EmissionNetwork : Module<Tensor, Tensor>
{
    /// <summary>Initial sigmoid value of the scale: 95 % of the way to the limit, where the sigmoid still has a gradient
    /// (at the limit itself the clip of the affine emission had none).</summary>
    internal const double InitialScaleFraction = 0.95;

    internal readonly Linear linear;
    internal readonly EmissionKind _kind;
    internal readonly float _zoomLimit, _minZoom, _maxRotation;
    internal readonly bool _inside;
    private readonly Tensor _zoomMask;

    public EmissionNetwork(EdramConfig c) : base(nameof(EmissionNetwork))
    {
        _kind = c.Emission;
        _zoomLimit = c.ZoomLimit;
        _minZoom = c.MinZoom;
        _maxRotation = c.MaxRotation;
        _inside = c.GlimpseInside;
        linear = Linear(c.LocaliserHidden, OutputCount(c));
        using (no_grad())
        {
            linear.weight!.zero_();
            linear.bias!.copy_(tensor(InitialBias(c)));
        }
        _zoomMask = tensor(new[] { true, false, false, false, true, false });
        register_buffer("zoom_mask", _zoomMask, persistent: false);
        RegisterComponents();
    }

    /// <summary>Width of the linear layer: 6 θ entries (affine), or scale, x, y and an optional rotation (bounded).</summary>
    public static int OutputCount(EdramConfig c) => c.Emission == EmissionKind.Affine ? 6 : c.MaxRotation > 0 ? 4 : 3;

    /// <summary>
    /// The bias the network starts from. Affine: the widest allowed zoom (a bias above the limit would sit in the
    /// clip's flat region). Bounded: centred, scale at <see cref="InitialScaleFraction"/> of its range, no rotation.
    /// </summary>
    public static float[] InitialBias(EdramConfig c)
    {
        if (c.Emission == EmissionKind.Affine) return [c.ZoomLimit, 0f, 0f, 0f, c.ZoomLimit, 0f];
        var bias = new float[OutputCount(c)];
        bias[0] = (float)Math.Log(InitialScaleFraction / (1 - InitialScaleFraction));
        return bias;
    }

    /// <summary>state (B, H) → θ (B, 6).</summary>
    public override Tensor forward(Tensor state)
    {
        using var scope = NewDisposeScope();
        var raw = linear.forward(state);
        var theta = _kind == EmissionKind.Affine ? where(_zoomMask, raw.clamp(0f, _zoomLimit), raw.tanh()) : Bounded(raw);
        return theta.MoveToOuterDisposeScope();
    }

    private Tensor Bounded(Tensor raw)
    {
        var s = raw.narrow(1, 0, 1).sigmoid() * (_zoomLimit - _minZoom) + _minZoom;     // (B, 1)
        Tensor a = s, b = zeros_like(s), extent = s;                                    // s·cos r, s·sin r
        if (_maxRotation > 0)
        {
            var r = raw.narrow(1, 3, 1).tanh() * _maxRotation;
            Tensor cos = r.cos(), sin = r.sin(), spread = cos.abs() + sin.abs();
            // A rotated square needs s·(|cos r| + |sin r|) ≤ 1 to fit: inside the image, the scale gives way.
            if (_inside) s = minimum(s, spread.reciprocal());
            (a, b) = (s * cos, s * sin);
            extent = s * spread;                                                        // half-width of the rotated square
        }
        var room = _inside ? (1 - extent).relu() : ones_like(s);
        var tx = room * raw.narrow(1, 1, 1).tanh();
        var ty = room * raw.narrow(1, 2, 1).tanh();
        return cat([a, -b, tx, b, a, ty], 1);                                          // (B, 6)
    }

    /// <summary>
    /// The zoom the zoom loss and limit act on, twice per step as EDRAM's two zoom entries: θ00 and θ11 (affine), or the
    /// scale s = sqrt|det θ| (bounded). thetas (B, T, 6) → (B, T, 2).
    /// </summary>
    public Tensor Zooms(Tensor thetas)
    {
        using var scope = NewDisposeScope();
        var zooms = _kind == EmissionKind.Affine
            ? thetas.index_select(2, tensor(new long[] { 0, 4 }, device: thetas.device))
            : Scale(thetas).unsqueeze(2).expand(-1, -1, 2);
        return zooms.MoveToOuterDisposeScope();
    }

    /// <summary>Effective scale of a glimpse, sqrt|det θ|: its side relative to the image's. (..., 6) → (...).</summary>
    public static Tensor Scale(Tensor thetas)
    {
        using var scope = NewDisposeScope();
        var det = thetas.select(-1, 0) * thetas.select(-1, 4) - thetas.select(-1, 1) * thetas.select(-1, 3);
        return det.abs().sqrt().MoveToOuterDisposeScope();
    }
}
