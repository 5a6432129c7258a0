using System.Buffers.Binary;

namespace EdramFer.Fuzz;

/// <summary>
/// Seeded byte-level mutations in the manner of AFL's havoc stage: bit flips, random and "interesting" values
/// (boundaries of 8-, 16- and 32-bit integers, both byte orders), small arithmetic, truncation, erased and duplicated
/// ranges, splices with another input and dictionary tokens. The same seed and inputs give the same sequence.
/// </summary>
public sealed class Mutator
{
    private static readonly byte[] Interesting8 = [0, 1, 0x7F, 0x80, 0xFF, (byte)' ', (byte)'\n', (byte)'"', (byte)',', (byte)'-', (byte)'0', (byte)'9'];
    private static readonly uint[] Interesting32 = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    private readonly Random _random;
    private readonly IReadOnlyList<byte[]> _dictionary;
    private readonly int _maxLength;

    /// <summary>Mutations drawn from <paramref name="seed"/>; results never exceed <paramref name="maxLength"/> bytes.</summary>
    public Mutator(int seed, IReadOnlyList<byte[]> dictionary, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        _random = new Random(seed);
        _dictionary = dictionary;
        _maxLength = maxLength;
    }

    /// <summary>A mutated copy of <paramref name="input"/>: 1 to 8 stacked mutations; <paramref name="pool"/> feeds splices.</summary>
    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> pool)
    {
        var data = new List<byte>(input);
        var count = 1 << _random.Next(4);
        for (var i = 0; i < count; i++) Apply(data, pool);
        if (data.Count > _maxLength) data.RemoveRange(_maxLength, data.Count - _maxLength);
        return data.ToArray();
    }

    private void Apply(List<byte> data, IReadOnlyList<byte[]> pool)
    {
        if (data.Count == 0) { data.Add((byte)_random.Next(256)); return; }
        var at = _random.Next(data.Count);
        switch (_random.Next(11))
        {
            case 0: data[at] ^= (byte)(1 << _random.Next(8)); break;
            case 1: data[at] = (byte)_random.Next(256); break;
            case 2: data[at] = Interesting8[_random.Next(Interesting8.Length)]; break;
            case 3: data[at] = (byte)(data[at] + _random.Next(-16, 17)); break;
            case 4: WriteInteresting(data, at); break;
            case 5: data.RemoveRange(at, data.Count - at); break; // truncate
            case 6: data.RemoveRange(at, _random.Next(1, Math.Min(data.Count - at, 64) + 1)); break;
            case 7: // duplicate a range somewhere else
                var length = _random.Next(1, Math.Min(data.Count - at, 64) + 1);
                data.InsertRange(_random.Next(data.Count + 1), data.GetRange(at, length));
                break;
            case 8: Splice(data, pool); break;
            case 9 when _dictionary.Count > 0: data.InsertRange(at, _dictionary[_random.Next(_dictionary.Count)]); break;
            case 10 when _dictionary.Count > 0: Overwrite(data, at, _dictionary[_random.Next(_dictionary.Count)]); break;
            default: data.Insert(at, (byte)_random.Next(256)); break;
        }
    }

    /// <summary>A 16- or 32-bit boundary value, little- or big-endian, over the bytes at <paramref name="at"/>.</summary>
    private void WriteInteresting(List<byte> data, int at)
    {
        var value = Interesting32[_random.Next(Interesting32.Length)];
        var bytes = new byte[_random.Next(2) == 0 ? 2 : 4];
        if (bytes.Length == 2)
        {
            if (_random.Next(2) == 0) BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)value);
            else BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        }
        else if (_random.Next(2) == 0) BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        else BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Overwrite(data, at, bytes);
    }

    /// <summary>The head of <paramref name="data"/> up to a random point, then the tail of another input from a random point.</summary>
    private void Splice(List<byte> data, IReadOnlyList<byte[]> pool)
    {
        if (pool.Count == 0) return;
        var other = pool[_random.Next(pool.Count)];
        if (other.Length == 0) return;
        var cut = _random.Next(data.Count + 1);
        var from = _random.Next(other.Length);
        data.RemoveRange(cut, data.Count - cut);
        data.AddRange(other.AsSpan(from).ToArray());
    }

    private static void Overwrite(List<byte> data, int at, byte[] bytes)
    {
        for (var k = 0; k < bytes.Length; k++)
        {
            if (at + k < data.Count) data[at + k] = bytes[k];
            else data.Add(bytes[k]);
        }
    }
}
