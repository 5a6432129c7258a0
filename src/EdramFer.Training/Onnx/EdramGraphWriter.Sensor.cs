using EdramFer.Training.Model;
using static EdramFer.Training.Onnx.OnnxProto;

namespace EdramFer.Training.Onnx;

/// <summary>The emission network and the spatial transformer of <see cref="EdramGraphWriter"/>.</summary>
internal sealed partial class EdramGraphWriter
{
    // ---- emission and spatial transformer ------------------------------------------------------------------

    private string Emission(string h2)
    {
        using var scope = g.Scope("emission");
        var e = m.emission;
        var raw = Gemm("linear", h2, e.linear);                             // (N, 6) or (N, 3|4)
        return e._kind == EmissionKind.Affine ? AffineTheta(raw) : BoundedTheta(raw);
    }

    /// <summary>θ = where(zoom mask, clamp(raw, 0, ZoomLimit), tanh(raw)), as EmissionNetwork.forward.</summary>
    private string AffineTheta(string raw)
    {
        var min = g.SharedInitializer("emission/zoom_min", () => ([0f], [1]));
        var max = g.SharedInitializer("emission/zoom_max", () => ([m.emission._zoomLimit], [1]));
        var mask = g.SharedInitializer("emission/zoom_mask", [true, false, false, false, true, false]);
        var zoom = g.Op("Clip", "zoom", [raw, min, max]);
        var shift = g.Op("Tanh", "tanh", [raw]);
        return g.Op("Where", "theta", [mask, zoom, shift]);
    }

    /// <summary>θ = (s·cos r, −s·sin r, tx, s·sin r, s·cos r, ty) from bounded quantities, op for op as EmissionNetwork.Bounded.</summary>
    private string BoundedTheta(string raw)
    {
        var e = m.emission;
        string Column(int i) => g.Op("Slice", $"raw{i}", [raw, g.Int64s(i), g.Int64s(i + 1), g.Int64s(1)]);   // (N, 1)
        string Constant(string name, float value) => g.SharedInitializer($"emission/const_{name}", () => ([value], [1]));
        var sigmoid = g.Op("Sigmoid", "scale_sigmoid", [Column(0)]);
        var s = g.Op("Add", "scale", [g.Op("Mul", "scale_range", [sigmoid, Constant("zoom_range", e._zoomLimit - e._minZoom)]), Constant("zoom_min", e._minZoom)]);
        string a = s, b, extent = s;
        if (e._maxRotation > 0)
        {
            var r = g.Op("Mul", "rotation", [g.Op("Tanh", "rotation_tanh", [Column(3)]), Constant("max_rotation", e._maxRotation)]);
            string cos = g.Op("Cos", "cos", [r]), sin = g.Op("Sin", "sin", [r]);
            var spread = g.Op("Add", "spread", [g.Op("Abs", "abs_cos", [cos]), g.Op("Abs", "abs_sin", [sin])]);
            if (e._inside) s = g.Op("Min", "scale_fit", [s, g.Op("Reciprocal", "fit", [spread])]);
            a = g.Op("Mul", "scale_cos", [s, cos]);
            b = g.Op("Mul", "scale_sin", [s, sin]);
            extent = g.Op("Mul", "extent", [s, spread]);
        }
        else b = g.Op("Mul", "zero", [s, Constant("zero", 0f)]);
        var room = e._inside ? g.Op("Relu", "room", [g.Op("Sub", "room_raw", [Constant("one", 1f), extent])]) : null;
        string Shift(string hint, int column)
        {
            var t = g.Op("Tanh", $"{hint}_tanh", [Column(column)]);
            return room is null ? t : g.Op("Mul", hint, [room, t]);
        }
        var (tx, ty) = (Shift("tx", 1), Shift("ty", 2));
        return g.Op("Concat", "theta", [a, g.Op("Neg", "minus_scale_sin", [b]), tx, b, a, ty], MakeAttribute("axis", 1L));
    }

    private string GlimpseSensor(string image, string theta)
    {
        using var scope = g.Scope("sensor");
        int size = c.GlimpseSize;
        var baseGrid = g.SharedInitializer("sensor/base_grid", () => (BaseGrid(size, size, c.AlignCorners), [size * size, 3]));
        var affine = g.Op("Reshape", "theta_2x3", [theta, g.Int64s(-1, 2, 3)]);          // (N, 2, 3)
        var affineT = g.Op("Transpose", "theta_t", [affine], MakeAttribute("perm", [0L, 2, 1])); // (N, 3, 2)
        var grid = g.Op("MatMul", "grid_flat", [baseGrid, affineT]);                     // (N, g·g, 2)
        grid = g.Op("Reshape", "grid", [grid, g.Int64s(-1, size, size, 2)]);             // (N, g, g, 2)
        // GridSample's mode is "bilinear" up to opset 19 and "linear" from opset 20.
        return g.Op("GridSample", "patch", [image, grid],
            MakeAttribute("mode", g.Opset >= 20 ? "linear" : "bilinear"),
            MakeAttribute("padding_mode", "zeros"),
            MakeAttribute("align_corners", c.AlignCorners ? 1L : 0L));
    }

    /// <summary>
    /// PyTorch affine_grid's base grid, rows (x, y, 1) over an h×w output, x fastest. Coordinates are
    /// linspace(-1, 1, n), scaled by (n-1)/n without align_corners: the pixel centres (2i+1)/n - 1.
    /// </summary>
    internal static float[] BaseGrid(int h, int w, bool alignCorners)
    {
        static double Coord(int i, int n, bool align) =>
            align ? (n == 1 ? 0 : -1.0 + 2.0 * i / (n - 1)) : (2.0 * i + 1) / n - 1.0;
        var grid = new float[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int o = (y * w + x) * 3;
                grid[o] = (float)Coord(x, w, alignCorners);
                grid[o + 1] = (float)Coord(y, h, alignCorners);
                grid[o + 2] = 1f;
            }
        return grid;
    }
}
