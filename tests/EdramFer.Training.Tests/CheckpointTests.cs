using EdramFer.Training.Model;
using EdramFer.Training.Train;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class CheckpointTests
{
    [Fact]
    public void SaveLoad_AfterTrainingStep_RestoresWeightsOptimiserAndState()
    {
        using var dir = new TempDir();
        manual_seed(11);
        var net = new EdramNet(TestModels.Tiny());
        var opt = optim.Adam(net.parameters(), 1e-3);
        using var x = rand(4, 1, 100, 100);
        using var y = tensor(new long[] { 0, 1, 2, 0 });
        void Step(EdramNet m, TorchSharp.Modules.OptimizerHelper o)
        {
            m.train(); o.zero_grad();
            using var out_ = m.forward(x);
            using var loss = nn.functional.cross_entropy(out_.StepLogits.reshape(-1, 3), y.repeat_interleave(2));
            loss.backward(); o.step();
        }
        Step(net, opt);
        var state = new TrainState { Config = net.Config, Labels = ["a", "b", "c"], Epoch = 3, Batch = 7, BestAccuracy = 0.5 };
        var path = dir.File("x.ckpt");
        Checkpoint.Save(path, state, net, opt);
        Assert.False(File.Exists(path + ".tmp"));

        var (loaded, net2) = Checkpoint.Load(path, m => optim.Adam(m.parameters(), 1e-3), out var opt2);
        Assert.Equal(3, loaded.Epoch);
        Assert.Equal(7, loaded.Batch);
        Assert.Equal(["a", "b", "c"], loaded.Labels);
        Assert.Equal(net.Config.GlimpseChannels, loaded.Config.GlimpseChannels);

        // One more identical step on both: equal weights only if the Adam moments were restored too.
        Step(net, opt);
        Step(net2, opt2!);
        var a = net.state_dict(); var b = net2.state_dict();
        foreach (var (name, t) in a) Assert.True(t.equal(b[name]).all().item<bool>(), $"{name} differs after resume step");
    }

    [Fact]
    public void Load_NotACheckpoint_ThrowsNamingFile()
    {
        using var dir = new TempDir();
        var path = dir.File("bogus.ckpt");
        File.WriteAllText(path, "hello");
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path));
        Assert.Contains("bogus.ckpt", e.Message);
    }

    [Fact]
    public void Resolve_RunDirectory_PrefersBest()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "checkpoints"));
        File.WriteAllText(Path.Combine(dir.Path, "checkpoints", "last.ckpt"), "");
        Assert.EndsWith("last.ckpt", Checkpoint.Resolve(dir.Path));
        File.WriteAllText(Path.Combine(dir.Path, "checkpoints", "best.ckpt"), "");
        Assert.EndsWith("best.ckpt", Checkpoint.Resolve(dir.Path));
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Resolve(dir.File("nothing")));
    }
}
