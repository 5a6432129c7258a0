using System.Globalization;
using EdramFer.Training.Model;
using EdramFer.Training.Train;

namespace EdramFer.Training.Tests;

public class FiniteStepTests
{
    [Fact]
    public void Run_FiniteNorm_PassesOnceAndUndoesNothing()
    {
        int passes = 0, undos = 0;
        Assert.False(FiniteStep.Run(() => { passes++; return 3.5; }, () => undos++, "epoch 1, batch 1"));
        Assert.Equal((1, 0), (passes, undos));
    }

    [Fact]
    public void Run_NaNThenFinite_UndoesAndRedoesWithOneDnnOff_ThenRestoresIt()
    {
        bool before = OneDnnSwitch.Enabled;
        try
        {
            OneDnnSwitch.Enabled = true;
            var seen = new List<bool>();
            int undos = 0;
            bool redone = FiniteStep.Run(() => { seen.Add(OneDnnSwitch.Enabled); return seen.Count == 1 ? double.NaN : 2.0; }, () => undos++, "epoch 1, batch 1");
            Assert.True(redone);
            Assert.Equal([true, false], seen);
            Assert.Equal(1, undos);
            Assert.True(OneDnnSwitch.Enabled);
        }
        finally { OneDnnSwitch.Enabled = before; }
    }

    [Fact]
    public void Run_NonFiniteTwice_StopsNamingWhereAndBothNorms()
    {
        int passes = 0;
        var e = Assert.Throws<TrainingDivergedException>(() =>
            FiniteStep.Run(() => ++passes == 1 ? double.PositiveInfinity : double.NaN, () => { }, "epoch 3, batch 7"));
        Assert.Equal(2, passes);
        Assert.Contains("epoch 3, batch 7", e.Message);
        Assert.Contains($"was {double.PositiveInfinity.ToString(CultureInfo.InvariantCulture)} and", e.Message);
        Assert.Contains("oneDNN, NaN.", e.Message);
    }
}
