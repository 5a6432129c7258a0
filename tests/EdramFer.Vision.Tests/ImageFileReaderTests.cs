using System.Diagnostics;
using System.Net.Sockets;

namespace EdramFer.Vision.Tests;

/// <summary>Issue 14, defects 1 and 2: files are read with a size limit and never from non-regular files.</summary>
public sealed class ImageFileReaderTests : IDisposable
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(20);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>ProcessFile on a thread of its own (not the pool, which parallel tests can starve for longer than the
    /// limit), failing the test instead of hanging it.</summary>
    private static PreprocessResult ProcessWithin(FacePreprocessor pre, string path)
    {
        var task = Task.Factory.StartNew(() => pre.ProcessFile(path), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(task.Wait(NoHang), $"ProcessFile('{path}') did not return within {NoHang.TotalSeconds} s");
        return task.Result;
    }

    [Fact]
    public void ProcessFile_SymlinkToDevZero_ReadErrorNamingTheDevice()
    {
        // Failed before the fix: File.ReadAllBytes read /dev/zero until "Array dimensions exceeded supported range" (4.4 GB RSS).
        var link = Path.Combine(_dir.Path, "zero.jpg");
        File.CreateSymbolicLink(link, "/dev/zero");
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = ProcessWithin(pre, link);

        Assert.Equal(PreprocessStatus.ReadError, result.Status);
        Assert.Contains(link, result.Message);
        Assert.Contains("character device", result.Message);
    }

    [Fact]
    public void ProcessFile_Fifo_ReadErrorWithoutBlocking()
    {
        // Failed before the fix: opening the FIFO blocked forever waiting for a writer (no row, no timeout).
        var fifo = Path.Combine(_dir.Path, "pipe.jpg");
        using (var mk = Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        Assert.True(File.Exists(fifo), "mkfifo did not create the FIFO");
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = ProcessWithin(pre, fifo);

        Assert.Equal(PreprocessStatus.ReadError, result.Status);
        Assert.Contains("FIFO", result.Message);
    }

    [Fact]
    public void ProcessFile_UnixSocket_ReadErrorNamingTheSocket()
    {
        var path = Path.Combine(_dir.Path, "sock.png");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = ProcessWithin(pre, path);

        Assert.Equal(PreprocessStatus.ReadError, result.Status);
        Assert.Contains("socket", result.Message);
    }

    [Fact]
    public void ProcessFile_SparseFileOverDefaultLimit_ReadErrorWithoutReadingIt()
    {
        // Failed before the fix: the 1.5 GB sparse file was read whole (1.7 GB RSS) before the decoder rejected it.
        var path = Path.Combine(_dir.Path, "sparse.jpg");
        using (var f = new FileStream(path, FileMode.CreateNew)) f.SetLength(1_500_000_000);
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });
        var memoryBefore = GC.GetTotalAllocatedBytes();

        var result = ProcessWithin(pre, path);

        Assert.Equal(PreprocessStatus.ReadError, result.Status);
        Assert.Contains("more than MaxFileBytes = 268,435,456", result.Message);
        Assert.True(GC.GetTotalAllocatedBytes() - memoryBefore < 100_000_000, "the file was read although it is over the limit");
    }

    [Fact]
    public void ProcessFile_ValidImageOverConfiguredLimit_ReadErrorAndUnderLimitOk()
    {
        using var image = TestImages.Synthetic(64, 64);
        var png = TestImages.Encode(image, ".png");
        var path = _dir.File("small.png", png);
        using var strict = new FacePreprocessor(new PreprocessOptions { Detectors = [], MaxFileBytes = png.Length - 1 });
        using var exact = new FacePreprocessor(new PreprocessOptions { Detectors = [], MaxFileBytes = png.Length });

        Assert.Equal(PreprocessStatus.ReadError, strict.ProcessFile(path).Status);
        Assert.Equal(PreprocessStatus.Ok, exact.ProcessFile(path).Status);
    }

    [Fact]
    public void ProcessFile_SymlinkToRegularImage_Followed()
    {
        using var image = TestImages.Synthetic(64, 48);
        var target = _dir.File("real.png", TestImages.Encode(image, ".png"));
        var link = Path.Combine(_dir.Path, "link.png");
        File.CreateSymbolicLink(link, target);
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        Assert.Equal(pre.ProcessFile(target).Pixels, pre.ProcessFile(link).Pixels);
    }

    [Fact]
    public void Constructor_MaxFileBytesZero_ThrowsWithTheValue()
    {
        var e = Assert.Throws<ArgumentException>(() => new FacePreprocessor(new PreprocessOptions { MaxFileBytes = 0 }));

        Assert.Contains("MaxFileBytes is 0", e.Message);
    }
}
