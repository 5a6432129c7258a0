// MSBuild task (compiled by RoslynCodeTaskFactory) that marks one GNU version-needed entry of an ELF64
// shared library as weak (VER_FLG_WEAK), so the dynamic loader accepts a system library lacking that
// version. TorchSharp 0.107's libLibTorchSharp.so needs GLIBCXX_3.4.32 for a single symbol that no
// relocation references; glibc-2.36 systems (Debian 12) ship GLIBCXX_3.4.30 and refuse to load it.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class ElfVersionNeedPatcher : Task
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    /// <summary>Libraries to patch in place (copies in the build output, never the package cache).</summary>
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    /// <summary>The version-needed name to mark weak, e.g. GLIBCXX_3.4.32.</summary>
    [Required] public string VersionName { get; set; } = "";
    /// <summary>Candidate paths of the system library that would provide the version.</summary>
    public string[] SystemLibraries { get; set; } = Array.Empty<string>();
    [Output] public ITaskItem[] Patched { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        var needle = Encoding.ASCII.GetBytes(VersionName + "\0");
        string? system = null;
        foreach (var candidate in SystemLibraries)
            if (File.Exists(candidate)) { system = candidate; break; }
        if (system == null)
        {
            Log.LogMessage(MessageImportance.Low, $"No system library found; {VersionName} patch not needed here.");
            return true;
        }
        if (IndexOf(File.ReadAllBytes(system), needle) >= 0)
        {
            Log.LogMessage(MessageImportance.Low, $"{system} provides {VersionName}; nothing to patch.");
            return true;
        }
        var patched = new List<ITaskItem>();
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            var bytes = File.ReadAllBytes(path);
            int changed;
            try { changed = MarkWeak(bytes, VersionName); }
            catch (InvalidDataException e) { Log.LogError($"{path}: {e.Message}"); return false; }
            if (changed == 0) continue; // already weak or not needed by this file
            // Write a new file and move it over the old one: a hard link into the package cache stays untouched.
            var tmp = path + ".weak.tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Delete(path);
            File.Move(tmp, path);
            Log.LogMessage(MessageImportance.High, $"Marked {VersionName} weak in {path} ({system} lacks it).");
            patched.Add(item);
        }
        Patched = patched.ToArray();
        return true;
    }

    /// <summary>Sets VER_FLG_WEAK on every vernaux entry named <paramref name="version"/>; returns how many changed.</summary>
    public static int MarkWeak(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only little-endian ELF64 is supported");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        int changed = 0;
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(elf, (int)sh + 0x18);
            uint link = BitConverter.ToUInt32(elf, (int)sh + 0x28), count = BitConverter.ToUInt32(elf, (int)sh + 0x2C);
            long strtab = BitConverter.ToInt64(elf, (int)(shoff + link * shentsize) + 0x18);
            long need = offset;
            for (uint n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    var name = ReadString(elf, strtab + BitConverter.ToUInt32(elf, (int)aux + 8));
                    int flagsAt = (int)aux + 4;
                    ushort flags = BitConverter.ToUInt16(elf, flagsAt);
                    if (name == version && (flags & VerFlgWeak) == 0)
                    {
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, flagsAt);
                        changed++;
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }
        return changed;
    }

    static string ReadString(byte[] data, long at)
    {
        int end = (int)at;
        while (data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)at, end - (int)at);
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
