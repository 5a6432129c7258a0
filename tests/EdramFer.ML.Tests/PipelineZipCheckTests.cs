using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML;

namespace EdramFer.ML.Tests;

/// <summary>The chain-count check LoadEdram runs before ML.NET trusts the count (PipelineZipCheck).</summary>
public class PipelineZipCheckTests
{
    private sealed class Row
    {
        public float A { get; set; }
    }

    /// <summary>A plain two-transform chain saved by ML.NET, with the root chain's transform count set to <paramref name="count"/>.</summary>
    private static string SaveChain(int? count)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { A = 1 } });
        var fitted = ml.Transforms.CopyColumns("B", "A").Append(ml.Transforms.CopyColumns("C", "B")).Fit(data);
        var zip = Path.Combine(TestModels.TempFolder("chaincount"), "chain.zip");
        ml.Model.Save(fitted, data.Schema, zip);
        if (count is int n)
        {
            using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
            var entry = archive.GetEntry("TransformerChain/Model.key")!;
            byte[] bytes;
            using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); bytes = m.ToArray(); }
            long fpModel = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
            Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)fpModel)));   // the layout the check reads
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)fpModel), n);
            entry.Delete();
            using var w = archive.CreateEntry("TransformerChain/Model.key").Open();
            w.Write(bytes);
        }
        return zip;
    }

    [Fact]
    public void LoadEdram_IntactChain_Loads()
    {
        using var model = new MLContext().Model.LoadEdram(SaveChain(null));
        Assert.Empty(model.Scoring);
    }

    [Theory]
    [InlineData(1_936_613_746)]   // the fuzzed zip: ML.NET allocated 22 GB for it before failing
    [InlineData(3)]
    [InlineData(-1)]
    public void LoadEdram_ChainDeclaringMoreTransformsThanItHolds_RefusedBeforeMLNetAllocates(int count)
    {
        var zip = SaveChain(count);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadEdram(zip));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains($"'{zip}'", e.Message);
        Assert.Contains($"the transformer chain in 'TransformerChain/' declares {count} transforms but holds 2", e.Message);
        Assert.True(allocated < 64 << 20, $"the refusal allocated {allocated >> 20} MB");
    }
}
