using System.Buffers.Binary;

namespace EdramFer.Vision;

/// <summary>
/// What an encoded image's header says, read without decoding pixels. <see cref="Format"/> null: no supported
/// signature. <see cref="Problem"/> set: the signature matched but the header is truncated or corrupt.
/// </summary>
internal readonly record struct HeaderCheck(string? Format, long Width, long Height, string? Problem)
{
    // PAM and Radiance HDR headers are text: "WIDTH -5" parsed as -5 slipped past the pixel limit (found by fuzzing).
    public static HeaderCheck Size(string format, long width, long height) => width < 0 || height < 0
        ? Bad(format, $"corrupt {format} header (it declares {width}x{height}: a negative size)")
        : new(format, width, height, null);
    public static HeaderCheck Bad(string format, string problem) => new(format, 0, 0, problem);
    public static HeaderCheck Truncated(string format) => Bad(format, $"truncated {format} header (the data ends inside it)");
}

/// <summary>
/// Reads the declared width and height from an encoded image's header without decoding pixels, so oversized images
/// (decompression bombs) are refused before a decoder allocates memory for them. Every format handed to the decoder is
/// one of <see cref="SupportedFormats"/>, whose headers are all read here: data with another signature is never decoded.
/// </summary>
internal static class ImageHeader
{
    /// <summary>The formats whose header is checked and which are then decoded.</summary>
    public const string SupportedFormats = "JPEG, PNG, BMP, WebP, GIF, TIFF, PBM/PGM/PPM, PAM, PFM, Sun raster, Radiance HDR, JPEG 2000";

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Format name and declared size, or null when the format is not recognised or its header is unreadable.</summary>
    public static (string Format, long Width, long Height)? TryRead(ReadOnlySpan<byte> b) =>
        Check(b) is { Format: { } f, Problem: null } c ? (f, c.Width, c.Height) : null;

    /// <summary>The header's format and declared size, or why it cannot be read.</summary>
    public static HeaderCheck Check(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 8 && b[..8].SequenceEqual(PngSignature))
            return ReadPng(b);
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
            return ReadJpeg(b);
        if (b.Length >= 2 && b[0] == (byte)'B' && b[1] == (byte)'M')
            return ReadBmp(b);
        if (b.Length >= 12 && b[..4].SequenceEqual("RIFF"u8) && b.Slice(8, 4).SequenceEqual("WEBP"u8))
            return b.Length < 30 ? HeaderCheck.Truncated("WebP") : ReadWebP(b);
        if (b.Length >= 6 && (b[..6].SequenceEqual("GIF87a"u8) || b[..6].SequenceEqual("GIF89a"u8)))
            return b.Length < 10 ? HeaderCheck.Truncated("GIF")
                : HeaderCheck.Size("GIF", BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), BinaryPrimitives.ReadUInt16LittleEndian(b[8..]));
        return OtherFormats.Check(b);
    }

    /// <summary>True for a JPEG whose data does not end with the EOI marker (FF D9): a truncated file.</summary>
    public static bool IsTruncatedJpeg(ReadOnlySpan<byte> b)
    {
        if (b.Length < 3 || b[0] != 0xFF || b[1] != 0xD8) return false;
        var end = b.Length;
        while (end > 2 && b[end - 1] == 0) end--; // some writers pad after EOI
        return !(b[end - 2] == 0xFF && b[end - 1] == 0xD9);
    }

    /// <summary>
    /// IHDR's size, after checking that every chunk fits in the data: OpenCV's PNG reader allocates a chunk's declared
    /// length before reading it, so a 52-byte file declaring a 1.7 GB IDAT cost 1.7 GB and 8 s (found by fuzzing).
    /// </summary>
    private static HeaderCheck ReadPng(ReadOnlySpan<byte> b)
    {
        if (b.Length < 24) return HeaderCheck.Truncated("PNG");
        if (!b.Slice(12, 4).SequenceEqual("IHDR"u8)) return HeaderCheck.Bad("PNG", "corrupt PNG header (no IHDR chunk first)");
        for (long at = 8; at + 8 <= b.Length;)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(b[(int)at..]), left = b.Length - at - 12; // length, type and CRC: 12 bytes
            var type = b.Slice((int)at + 4, 4);
            if (length > left)
                return HeaderCheck.Bad("PNG", $"truncated PNG (chunk '{Printable(type)}' at byte {at} declares {length:N0} bytes, {Math.Max(left, 0):N0} remain)");
            if (type.SequenceEqual("IEND"u8)) break;
            at += 12 + length;
        }
        return HeaderCheck.Size("PNG", BinaryPrimitives.ReadUInt32BigEndian(b[16..]), BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
    }

    private static string Printable(ReadOnlySpan<byte> name)
    {
        Span<char> chars = stackalloc char[name.Length];
        for (var i = 0; i < name.Length; i++) chars[i] = char.IsAsciiLetter((char)name[i]) ? (char)name[i] : '?'; // chunk types are 4 letters
        return new string(chars);
    }

    private static HeaderCheck ReadBmp(ReadOnlySpan<byte> b)
    {
        if (b.Length < 26) return HeaderCheck.Truncated("BMP");
        var dibSize = BinaryPrimitives.ReadUInt32LittleEndian(b[14..]);
        if (dibSize == 12) // BITMAPCOREHEADER: 16-bit unsigned sizes
            return HeaderCheck.Size("BMP", BinaryPrimitives.ReadUInt16LittleEndian(b[18..]), BinaryPrimitives.ReadUInt16LittleEndian(b[20..]));
        // Negative height means a top-down bitmap.
        return HeaderCheck.Size("BMP", Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[18..])), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[22..])));
    }

    private static HeaderCheck ReadJpeg(ReadOnlySpan<byte> b)
    {
        var i = 2;
        while (i + 3 < b.Length)
        {
            if (b[i] != 0xFF) return HeaderCheck.Bad("JPEG", $"corrupt JPEG header (no marker at byte {i})");
            var marker = b[i + 1];
            if (marker == 0xFF) { i++; continue; } // fill byte
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD9)) { i += 2; continue; } // no length field
            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision(1), height(2), width(2).
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
            {
                if (i + 9 > b.Length) break;
                return HeaderCheck.Size("JPEG", BinaryPrimitives.ReadUInt16BigEndian(b[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(b[(i + 5)..]));
            }
            if (marker == 0xDA) return HeaderCheck.Bad("JPEG", "corrupt JPEG header (image data before any frame header)");
            i += 2 + length;
        }
        return HeaderCheck.Truncated("JPEG");
    }

    private static HeaderCheck ReadWebP(ReadOnlySpan<byte> b)
    {
        var chunk = b.Slice(12, 4);
        var d = b[20..];
        if (chunk.SequenceEqual("VP8X"u8)) // extended: 24-bit canvas width-1 and height-1 after 4 flag bytes
            return HeaderCheck.Size("WebP", 1 + (d[4] | d[5] << 8 | d[6] << 16), 1 + (d[7] | d[8] << 8 | d[9] << 16));
        if (chunk.SequenceEqual("VP8L"u8) && d[0] == 0x2F) // lossless: 14-bit width-1, 14-bit height-1
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(d[1..]);
            return HeaderCheck.Size("WebP", 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF));
        }
        if (chunk.SequenceEqual("VP8 "u8) && d[3] == 0x9D && d[4] == 0x01 && d[5] == 0x2A) // lossy key frame
            return HeaderCheck.Size("WebP", BinaryPrimitives.ReadUInt16LittleEndian(d[6..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(d[8..]) & 0x3FFF);
        return HeaderCheck.Bad("WebP", "corrupt WebP header (no VP8, VP8L or VP8X chunk first)");
    }
}
