using EdramFer.Training.Model;
using static EdramFer.Training.Onnx.OnnxProto;

namespace EdramFer.Training.Onnx;

/// <summary>The ResNet glimpse trunk (<see cref="ResNetTrunk"/>): convolutions with their step's batch norms, residual adds.</summary>
internal sealed partial class EdramGraphWriter
{
    /// <summary>Glimpse (B, 1, g, g) → pooled features (B, C, 1, 1); the caller flattens.</summary>
    private string ResNet(string patch, ResNetTrunk net, int t)
    {
        var x = g.Op("Relu", "stem_relu", [ConvBn("stem", patch, net.stem, net.stemNorms[t], pad: 3, stride: 2)]);
        x = g.Op("MaxPool", "stem_pool", [x], MakeAttribute("kernel_shape", [3L, 3]), MakeAttribute("strides", [2L, 2]),
            MakeAttribute("pads", [1L, 1, 1, 1]));
        for (int i = 0; i < net.blocks.Count; i++)
        {
            var block = net.blocks[i];
            var y = g.Op("Relu", $"block{i}_relu1", [ConvBn($"block{i}_conv1", x, block.conv1, block.norms1[t], pad: 1, stride: block.Stride)]);
            y = ConvBn($"block{i}_conv2", y, block.conv2, block.norms2[t], pad: 1);
            var shortcut = block.down is null ? x : ConvBn($"block{i}_down", x, block.down, block.downNorms[t], pad: 0, stride: block.Stride);
            x = g.Op("Relu", $"block{i}_relu2", [g.Op("Add", $"block{i}_add", [y, shortcut])]);
        }
        return g.Op("GlobalAveragePool", "pool", [x]);
    }
}
