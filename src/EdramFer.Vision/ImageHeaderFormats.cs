using System.Buffers.Binary;
using System.Text;

namespace EdramFer.Vision;

/// <summary>Header readers for the formats OpenCV decodes beyond the web five: TIFF, PNM family, Sun raster, HDR, JPEG 2000.</summary>
internal static class OtherFormats
{
    private static ReadOnlySpan<byte> Jp2Signature => [0, 0, 0, 0x0C, (byte)'j', (byte)'P', 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A];

    public static HeaderCheck Check(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 4 && (b[..4].SequenceEqual("II*\0"u8) || b[..4].SequenceEqual("MM\0*"u8)
                              || b[..4].SequenceEqual("II+\0"u8) || b[..4].SequenceEqual("MM\0+"u8)))
            return ReadTiff(b);
        if (b.Length >= 2 && b[0] == (byte)'P' && b[1] is >= (byte)'1' and <= (byte)'7' or (byte)'F' or (byte)'f')
            return b[1] == (byte)'7' ? ReadPam(b) : ReadPnm(b);
        if (b.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(b) == 0x59A66A95)
            return b.Length < 12 ? HeaderCheck.Truncated("Sun raster")
                : HeaderCheck.Size("Sun raster", BinaryPrimitives.ReadUInt32BigEndian(b[4..]), BinaryPrimitives.ReadUInt32BigEndian(b[8..]));
        if (b.StartsWith("#?RADIANCE"u8) || b.StartsWith("#?RGBE"u8))
            return ReadHdr(b);
        if (b.Length >= 12 && b[..12].SequenceEqual(Jp2Signature))
            return ReadJp2(b);
        if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0x4F && b[2] == 0xFF && b[3] == 0x51)
            return ReadJ2kSiz(b, 4, "JPEG 2000");
        return default;
    }

    /// <summary>Width and height tags (256, 257) of the first IFD: the page OpenCV decodes.</summary>
    private static HeaderCheck ReadTiff(ReadOnlySpan<byte> b)
    {
        var little = b[0] == (byte)'I';
        var big = (little ? b[2] : b[3]) == 43; // BigTIFF: 64-bit offsets and counts
        if (b.Length < (big ? 16 : 8)) return HeaderCheck.Truncated("TIFF");
        var ifd = big ? Read(b, 8, little, 8) : Read(b, 4, little, 4);
        int countSize = big ? 8 : 2, entrySize = big ? 20 : 12;
        if (ifd > (ulong)(b.Length - countSize)) return HeaderCheck.Truncated("TIFF");
        var count = big ? Read(b, 8, little, (int)ifd) : Read(b, 2, little, (int)ifd);
        long? width = null, height = null;
        for (ulong k = 0; k < count; k++)
        {
            var e = (long)ifd + countSize + (long)k * entrySize;
            if (e + entrySize > b.Length) return HeaderCheck.Truncated("TIFF");
            var tag = Read(b, 2, little, (int)e);
            if (tag is not (256 or 257)) continue;
            var type = Read(b, 2, little, (int)e + 2);
            var value = (long)(type switch
            {
                3 => Read(b, 2, little, (int)e + (big ? 12 : 8)),
                4 => Read(b, 4, little, (int)e + (big ? 12 : 8)),
                16 when big => Read(b, 8, little, (int)e + 12),
                _ => ulong.MaxValue,
            });
            if (value < 0) return HeaderCheck.Bad("TIFF", $"corrupt TIFF header (tag {tag} has type {type}, expected SHORT or LONG)");
            // libtiff keeps the first of duplicated tags; keeping the last let a later ImageLength understate the size
            // the decoder then allocated (found by fuzzing).
            if (tag == 256) width ??= value; else height ??= value;
        }
        return width is { } w && height is { } h ? HeaderCheck.Size("TIFF", w, h)
            : HeaderCheck.Bad("TIFF", "corrupt TIFF header (no ImageWidth/ImageLength tags in the first directory)");
    }

    private static ulong Read(ReadOnlySpan<byte> b, int size, bool little, int at) => (size, little) switch
    {
        (2, true) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]),
        (2, false) => BinaryPrimitives.ReadUInt16BigEndian(b[at..]),
        (4, true) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]),
        (4, false) => BinaryPrimitives.ReadUInt32BigEndian(b[at..]),
        (_, true) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]),
        _ => BinaryPrimitives.ReadUInt64BigEndian(b[at..]),
    };

    /// <summary>P1–P6 (PBM, PGM, PPM) and PF/Pf (PFM): magic, then width and height as whitespace-separated decimals.</summary>
    private static HeaderCheck ReadPnm(ReadOnlySpan<byte> b)
    {
        var format = b[1] switch { (byte)'1' or (byte)'4' => "PBM", (byte)'2' or (byte)'5' => "PGM", (byte)'3' or (byte)'6' => "PPM", _ => "PFM" };
        var i = 2;
        if (i < b.Length && !IsSpace(b[i])) return default; // "P5x...": not a PNM magic
        // PGM and PPM also declare the maximum value; a header cut before it is truncated too.
        var names = format is "PGM" or "PPM" ? new[] { "width", "height", "maximum value" } : ["width", "height"];
        var values = new long[names.Length];
        for (var v = 0; v < names.Length; v++)
        {
            // Whitespace and # comments (to end of line) may separate the fields.
            while (i < b.Length && (IsSpace(b[i]) || b[i] == (byte)'#'))
                if (b[i] == (byte)'#') { while (i < b.Length && b[i] != (byte)'\n') i++; } else i++;
            var start = i;
            while (i < b.Length && b[i] is >= (byte)'0' and <= (byte)'9') i++;
            if (i == b.Length) return HeaderCheck.Bad(format, $"truncated {format} header (the data ends before the {names[v]} is complete)");
            if (i == start || !IsSpace(b[i])) return HeaderCheck.Bad(format, $"corrupt {format} header (expected the {names[v]} as a decimal number at byte {start})");
            if (!long.TryParse(b[start..i], out values[v])) values[v] = long.MaxValue; // absurdly long digit run: refused as too large
        }
        return HeaderCheck.Size(format, values[0], values[1]);
    }

    /// <summary>P7 (PAM): "WIDTH n" and "HEIGHT n" lines up to ENDHDR.</summary>
    private static HeaderCheck ReadPam(ReadOnlySpan<byte> b)
    {
        var end = b.IndexOf("ENDHDR"u8);
        if (end < 0) return HeaderCheck.Bad("PAM", "truncated PAM header (no ENDHDR)");
        long? width = null, height = null;
        foreach (var line in Encoding.ASCII.GetString(b[..end]).Split('\n'))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !long.TryParse(parts[1], out var n)) continue;
            if (parts[0] == "WIDTH") width = n;
            else if (parts[0] == "HEIGHT") height = n;
        }
        return width is { } w && height is { } h ? HeaderCheck.Size("PAM", w, h) : HeaderCheck.Bad("PAM", "corrupt PAM header (WIDTH or HEIGHT missing)");
    }

    /// <summary>Radiance HDR: text lines, an empty line, then the resolution line such as "-Y 480 +X 640".</summary>
    private static HeaderCheck ReadHdr(ReadOnlySpan<byte> b)
    {
        var blank = b.IndexOf("\n\n"u8);
        if (blank < 0) return HeaderCheck.Truncated("Radiance HDR");
        var rest = b[(blank + 2)..];
        var eol = rest.IndexOf((byte)'\n');
        if (eol < 0) return HeaderCheck.Truncated("Radiance HDR");
        var parts = Encoding.ASCII.GetString(rest[..eol]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 4 && long.TryParse(parts[1], out var first) && long.TryParse(parts[3], out var second))
            return parts[0].EndsWith('Y') ? HeaderCheck.Size("Radiance HDR", second, first) : HeaderCheck.Size("Radiance HDR", first, second);
        return HeaderCheck.Bad("Radiance HDR", "corrupt Radiance HDR header (no resolution line)");
    }

    /// <summary>JP2 file: the image header box (ihdr: height, width) inside the jp2h super box.</summary>
    private static HeaderCheck ReadJp2(ReadOnlySpan<byte> b)
    {
        var at = b.IndexOf("ihdr"u8);
        if (at < 0) return HeaderCheck.Bad("JPEG 2000", "corrupt or truncated JPEG 2000 header (no ihdr box)");
        if (at + 12 > b.Length) return HeaderCheck.Truncated("JPEG 2000");
        return HeaderCheck.Size("JPEG 2000", BinaryPrimitives.ReadUInt32BigEndian(b[(at + 8)..]), BinaryPrimitives.ReadUInt32BigEndian(b[(at + 4)..]));
    }

    /// <summary>J2K codestream SIZ segment: image size = Xsiz − XOsiz by Ysiz − YOsiz.</summary>
    private static HeaderCheck ReadJ2kSiz(ReadOnlySpan<byte> b, int siz, string format)
    {
        if (siz + 20 > b.Length) return HeaderCheck.Truncated(format);
        var u = new long[4];
        for (var k = 0; k < 4; k++) u[k] = BinaryPrimitives.ReadUInt32BigEndian(b[(siz + 4 + 4 * k)..]); // Xsiz, Ysiz, XOsiz, YOsiz
        return HeaderCheck.Size(format, Math.Max(0, u[0] - u[2]), Math.Max(0, u[1] - u[3]));
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
}
