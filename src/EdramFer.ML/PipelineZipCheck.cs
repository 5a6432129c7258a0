using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>
/// Checks a pipeline zip before ML.NET reads it, where ML.NET would trust a count (both found by fuzzing):
/// <list type="bullet">
/// <item>Its TransformerChain loader allocates arrays of as many transforms as its Model.key declares before it opens
/// any: a count changed to 1,936,613,746 made it allocate 22 GB. A chain may declare no more transforms than it has
/// Transform_NNN folders.</item>
/// <item>Its reader of the input schema (the zip's "Schema" entry, a binary IDV file) loops for ever when a declared
/// array runs past the entry's end: the entry is read here first, from a stream that fails at its end.</item>
/// </list>
/// </summary>
internal static class PipelineZipCheck
{
    // ML.NET's model header (Microsoft.ML.ModelHeader, 256 bytes): FpModel at 16, the model's signature at 64.
    private const int HeaderSize = 256, FpModelOffset = 16, ModelSignatureOffset = 64;
    private static readonly ulong ChainSignature = BinaryPrimitives.ReadUInt64LittleEndian("XF\0CHAIN"u8);

    /// <exception cref="InvalidDataException">a chain declares more transforms than the zip holds (names the zip)</exception>
    public static void Require(string zip)
    {
        ZipArchive archive;
        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            archive = ZipFile.OpenRead(zip);
            entries = archive.Entries;   // the central directory is read here
        }
        catch (InvalidDataException) { return; }   // not a readable zip: ML.NET's own error says so, with its cause
        using (archive)
        {
            RequireReadableSchema(zip, archive.GetEntry("Schema"));
            var names = entries.Select(e => e.FullName).ToList();
            foreach (var entry in entries)
            {
                if (!entry.FullName.EndsWith("/Model.key", StringComparison.Ordinal) || DeclaredTransforms(entry) is not int declared) continue;
                var folder = entry.FullName[..^"Model.key".Length];
                int held = names.Where(n => n.StartsWith(folder + "Transform_", StringComparison.Ordinal))
                    .Select(n => n[folder.Length..].Split('/')[0]).Distinct().Count();
                if (declared < 0 || declared > held)
                    throw new InvalidDataException($"'{zip}' is not a readable ML.NET pipeline zip: the transformer chain in '{folder}' declares {declared} transforms but holds {held}.");
            }
        }
    }

    private const int MaxSchemaBytes = 1 << 20;   // an input schema of a few columns takes a few hundred bytes

    private static void RequireReadableSchema(string zip, ZipArchiveEntry? entry)
    {
        if (entry is null) return;
        if (entry.Length > MaxSchemaBytes)
            throw new InvalidDataException($"'{zip}' is not a readable ML.NET pipeline zip: its input schema entry declares {entry.Length:N0} bytes (at most {MaxSchemaBytes:N0}).");
        byte[] bytes;
        try
        {
            using var s = entry.Open();
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            bytes = copy.ToArray();
        }
        catch (InvalidDataException) { return; }   // a damaged entry: ML.NET's own error names it
        try
        {
            _ = new MLContext().Data.LoadFromBinary(new StrictEndSource(bytes)).Schema;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{zip}' is not a readable ML.NET pipeline zip: its input schema is damaged ({e.Message.Trim()})", e);
        }
    }

    /// <summary>The schema bytes as ML.NET's binary loader reads them, from a stream that throws at its end.</summary>
    private sealed class StrictEndSource(byte[] bytes) : IMultiStreamSource
    {
        public int Count => 1;
        public string? GetPathOrNull(int index) => null;
        public Stream Open(int index) => new StrictEndStream(bytes);
        public TextReader OpenTextReader(int index) => new StreamReader(Open(index));
    }

    /// <summary>A read that asks for bytes at the end throws instead of returning 0.</summary>
    private sealed class StrictEndStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => Checked(base.Read(buffer, offset, count), count);
        public override int Read(Span<byte> buffer) => Checked(base.Read(buffer), buffer.Length);
        public override int ReadByte() => base.ReadByte() is var b and >= 0 ? b : throw new EndOfStreamException("read past the end of the input schema");

        private static int Checked(int read, int asked) => read == 0 && asked > 0 ? throw new EndOfStreamException("read past the end of the input schema") : read;
    }

    /// <summary>The transform count of a TransformerChain's Model.key; null for other models or unreadable entries.</summary>
    private static int? DeclaredTransforms(ZipArchiveEntry entry)
    {
        // Only the bytes up to the count are read: as in ML.NET, a damaged CRC at the entry's end goes unnoticed here.
        try
        {
            using var s = entry.Open();
            var header = new byte[HeaderSize];
            s.ReadExactly(header);
            if (BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(ModelSignatureOffset)) != ChainSignature) return null;
            long fpModel = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(FpModelOffset));
            if (fpModel < HeaderSize || fpModel > entry.Length - 4 || fpModel > 1 << 20) return null;
            var rest = new byte[fpModel - HeaderSize + 4];
            s.ReadExactly(rest);
            return BinaryPrimitives.ReadInt32LittleEndian(rest.AsSpan(rest.Length - 4));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException) { return null; }   // ML.NET reports it
    }
}
