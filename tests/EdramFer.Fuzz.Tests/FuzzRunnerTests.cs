using System.Text;
using EdramFer.Fuzz;

namespace EdramFer.Fuzz.Tests;

/// <summary>The in-process runner itself: each kind of failure is caught, kept with its input, and reported.</summary>
[Collection("fuzz")]
public class FuzzRunnerTests
{
    /// <summary>A target whose behaviour is chosen by the input's first byte.</summary>
    private sealed class ScriptedTarget : FuzzTarget
    {
        public override string Name => "scripted";
        public override string Contract => "test double";

        public override string Run(ReadOnlySpan<byte> data) => data.IsEmpty ? "empty" : data[0] switch
        {
            (byte)'x' => throw new FormatException("undocumented"),
            (byte)'c' => throw new ContractViolation("postcondition broken"),
            (byte)'h' => Hang(),
            (byte)'m' => Allocate(),
            var b => $"byte {b}",
        };

        private static string Hang()
        {
            Thread.Sleep(Timeout.Infinite);
            return "";
        }

        private static string Allocate()
        {
            var block = new byte[192 << 20];
            Array.Fill(block, (byte)1); // touched, so resident
            return block[^1].ToString();
        }
    }

    /// <summary>A target that never fails: its outcome is the input's first byte.</summary>
    private sealed class FirstByteTarget : FuzzTarget
    {
        public override string Name => "first-byte";
        public override string Contract => "test double";
        public override string Run(ReadOnlySpan<byte> data) => data.IsEmpty ? "empty" : $"byte {data[0]}";
    }

    private static FuzzReport Replay(params string[] inputs) => FuzzRunner.Run(new ScriptedTarget(),
        inputs.Select(Encoding.ASCII.GetBytes).ToList(),
        new FuzzOptions { Duration = TimeSpan.Zero, InputTimeout = TimeSpan.FromSeconds(2), MemoryBudgetBytes = 64 << 20 });

    [Theory]
    [InlineData("x1", "exception", "System.FormatException: undocumented")]
    [InlineData("c1", "contract", "postcondition broken")]
    [InlineData("h1", "hang", "did not finish within 2 s")]
    [InlineData("m1", "memory", "peak resident memory rose")]
    public void Run_FailingInput_ReportedWithItsBytes(string input, string kind, string message)
    {
        var report = Replay("ok", input);

        var failure = Assert.Single(report.Failures);
        Assert.Equal(kind, failure.Kind);
        Assert.Contains(message, failure.Message);
        Assert.Equal(Convert.ToBase64String(Encoding.ASCII.GetBytes(input)), failure.Base64);
        Assert.Contains(failure.Base64, failure.ToString());
    }

    [Fact]
    public void Run_SameFailureTwice_KeptOnce()
    {
        var report = Replay("x1", "x2", "ok");

        Assert.Single(report.Failures);
        Assert.Equal(3, report.Executions);
    }

    [Fact]
    public void Run_Mutation_BoundedByExecutionsAndNewOutcomesKept()
    {
        var report = FuzzRunner.Run(new FirstByteTarget(), [[(byte)'a']],
            new FuzzOptions { Duration = TimeSpan.FromMinutes(1), MaxExecutions = 2_000, Seed = 3 });

        Assert.Equal(2_000, report.Executions);
        Assert.True(report.Outcomes.Count > 50, $"{report.Outcomes.Count} outcomes"); // mutation reaches many first bytes
    }

    [Fact]
    public void Mutate_SameSeed_SameSequenceWithinTheLengthLimit()
    {
        byte[] seed = "path,label\na.jpg,happy\n"u8.ToArray();
        var a = new Mutator(5, [], 40);
        var b = new Mutator(5, [], 40);

        var first = Enumerable.Range(0, 200).Select(_ => a.Mutate(seed, [seed])).ToList();
        var second = Enumerable.Range(0, 200).Select(_ => b.Mutate(seed, [seed])).ToList();

        Assert.Equal(first, second);
        Assert.All(first, m => Assert.True(m.Length <= 40));
        Assert.True(first.Distinct(new BytesComparer()).Count() > 150);
    }

    private sealed class BytesComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
