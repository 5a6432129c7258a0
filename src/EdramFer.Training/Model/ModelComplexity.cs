namespace EdramFer.Training.Model;

/// <summary>Parameter count and forward cost of an <see cref="EdramConfig"/>, computed from the layer sizes.</summary>
public static class ModelComplexity
{
    /// <summary>Trainable parameters (equals <see cref="EdramNet.ParameterCount"/>; a test checks it).</summary>
    public static long Parameters(EdramConfig c)
    {
        long p = 0;
        var cc = c.ContextChannels;
        p += Conv(1, cc[0], 5) + Conv(cc[0], cc[1], 3) + Conv(cc[1], cc[2], 3) + 2L * (cc[0] + cc[1] + cc[2]);
        long contextFlat = (long)cc[2] * (c.ContextSize - 8) * (c.ContextSize - 8);
        if (contextFlat != c.LocaliserHidden) p += Linear(contextFlat, c.LocaliserHidden);
        if (c.GlimpseNet == GlimpseNetKind.ResNet) p += ResNetParameters(c);
        else
        {
            int input = 1;
            foreach (var ch in c.GlimpseChannels) { p += Conv(input, ch, 3) + 2L * ch * c.Steps; input = ch; }
        }
        int featureNorms = c.WhereBatchNorm ? 2 : 1;   // "what", and "where" when it has batch norms
        p += Linear(GlimpseFlat(c), c.FeatureSize) + Linear(6, c.FeatureSize) + 2L * featureNorms * c.FeatureSize * c.Steps;
        p += Lstm(c.FeatureSize, c.ClassifierHidden) + Lstm(c.ClassifierHidden, c.LocaliserHidden);
        p += Linear(c.LocaliserHidden, EmissionNetwork.OutputCount(c));
        p += Linear(c.ClassifierHidden, c.MlpSize) + Linear(c.MlpSize, c.MlpSize) + 2L * 2 * c.MlpSize * c.Steps + Linear(c.MlpSize, c.Classes);
        p += Linear(c.ClassifierHidden, c.MlpSize) + Linear(c.MlpSize, 2);
        return p;
    }

    /// <summary>Multiply-accumulates of one forward pass for one image (convolutions, matrix products, bilinear sampling).</summary>
    public static long MacsPerImage(EdramConfig c)
    {
        long m = 0;
        var cc = c.ContextChannels;
        int s = c.ContextSize;
        m += Sq(s - 4) * 25L * cc[0] + Sq(s - 6) * 9L * cc[0] * cc[1] + Sq(s - 8) * 9L * cc[1] * cc[2];
        long contextFlat = (long)cc[2] * Sq(s - 8);
        if (contextFlat != c.LocaliserHidden) m += contextFlat * c.LocaliserHidden;
        long step = 0;
        step += (long)c.LocaliserHidden * EmissionNetwork.OutputCount(c); // emission
        step += Sq(c.GlimpseSize) * (6L + 4);                       // sampling grid (affine) + bilinear taps
        int side = c.GlimpseSize, input = 1;
        if (c.GlimpseNet == GlimpseNetKind.ResNet) step += ResNetMacs(c);
        for (int i = 0; c.GlimpseNet == GlimpseNetKind.Conv && i < c.GlimpseChannels.Length; i++)
        {
            if (i == 4) side -= 2;                                   // the valid convolution
            step += Sq(side) * 9L * input * c.GlimpseChannels[i];
            input = c.GlimpseChannels[i];
            if (i is 1 or 3) side /= 2;                              // 2x2 max pools
        }
        step += GlimpseFlat(c) * c.FeatureSize + 6L * c.FeatureSize + c.FeatureSize;
        step += 4L * c.ClassifierHidden * (c.FeatureSize + c.ClassifierHidden);
        step += 4L * c.LocaliserHidden * (c.ClassifierHidden + c.LocaliserHidden);
        step += (long)c.ClassifierHidden * c.MlpSize + (long)c.MlpSize * c.MlpSize + (long)c.MlpSize * c.Classes;
        step += (long)c.ClassifierHidden * c.MlpSize + c.MlpSize * 2L;
        return m + step * c.Steps;
    }

    /// <summary>Forward FLOPs per image (2 per multiply-accumulate).</summary>
    public static long FlopsPerImage(EdramConfig c) => 2 * MacsPerImage(c);

    static long GlimpseFlat(EdramConfig c) => c.GlimpseNet == GlimpseNetKind.ResNet
        ? ResNetTrunk.StageChannels(c.ResNetBlocks.Length - 1)
        : (long)c.GlimpseChannels[^1] * Sq(c.GlimpseFeatureSide);

    /// <summary>Convolution weights (no biases) and per-step batch norms of the ResNet trunk.</summary>
    static long ResNetParameters(EdramConfig c)
    {
        long p = 7 * 7 * 64 + 2L * 64 * c.Steps;
        int input = 64;
        for (int stage = 0; stage < c.ResNetBlocks.Length; stage++)
            for (int b = 0; b < c.ResNetBlocks[stage]; b++)
            {
                int output = ResNetTrunk.StageChannels(stage);
                p += 9L * input * output + 9L * output * output + 2 * 2L * output * c.Steps;
                if (input != output || (stage > 0 && b == 0)) p += (long)input * output + 2L * output * c.Steps;
                input = output;
            }
        return p;
    }

    /// <summary>Multiply-accumulates of the ResNet trunk on one glimpse (pooling and additions left out).</summary>
    static long ResNetMacs(EdramConfig c)
    {
        int side = (c.GlimpseSize + 6 - 7) / 2 + 1;
        long m = Sq(side) * 49L * 64;
        side = (side + 2 - 3) / 2 + 1;
        int input = 64;
        for (int stage = 0; stage < c.ResNetBlocks.Length; stage++)
            for (int b = 0; b < c.ResNetBlocks[stage]; b++)
            {
                int output = ResNetTrunk.StageChannels(stage);
                bool first = stage > 0 && b == 0;
                if (first) side = (side + 2 - 3) / 2 + 1;
                m += Sq(side) * 9L * output * (input + output);
                if (first || input != output) m += Sq(side) * (long)input * output;
                input = output;
            }
        return m;
    }
    static long Sq(int x) => (long)x * x;
    static long Conv(int i, int o, int k) => (long)k * k * i * o + o;
    static long Linear(long i, long o) => i * o + o;
    static long Lstm(int i, int h) => 4L * h * (i + h) + 2 * 4L * h;
}
