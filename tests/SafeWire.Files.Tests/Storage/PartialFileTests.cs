using SafeWire.Files.Ftp;
using SafeWire.Files.Storage;
using SafeWire.Files.Tests.Support;
using SafeWire.Files.Transfer;
using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Storage;

/// <summary>Partial uploads expire (on a clock the test moves); a running upload's partial file and other files stay.</summary>
public sealed class PartialFileTests
{
    [Fact]
    public void Expired_partials_are_removed_and_nothing_else()
    {
        using var dir = new TempDirectory();
        var root = dir["root"];
        var nested = Path.Combine(root, "a", "b");
        Directory.CreateDirectory(nested);
        var top = Write(PartialFile.PathFor(Path.Combine(root, "big.iso")));
        var deep = Write(PartialFile.PathFor(Path.Combine(nested, "photo.jpg")));
        var running = Write(PartialFile.PathFor(Path.Combine(root, "busy.bin")));
        var ordinary = Write(Path.Combine(root, "keep.txt"));
        var lookalike = Write(Path.Combine(root, "notes" + PartialFile.Suffix)); // not hidden: not one of ours
        var outside = dir["outside"];
        Directory.CreateDirectory(outside);
        var beyondLink = Write(PartialFile.PathFor(Path.Combine(outside, "x.bin")));
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), outside);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var sweeper = new PartialFileSweeper(root, TimeSpan.FromHours(24), clock, log: null);
        using var claim = PartialFile.TryClaim(Path.Combine(root, "busy.bin"));
        Assert.NotNull(claim);
        Assert.Null(PartialFile.TryClaim(Path.Combine(root, "busy.bin")));

        clock.Advance(TimeSpan.FromHours(23));
        Assert.Empty(sweeper.SweepNow());
        Assert.True(File.Exists(top) && File.Exists(deep));

        clock.Advance(TimeSpan.FromHours(2));
        var removed = sweeper.SweepNow();

        Assert.Equal(new[] { deep, top }.Order(StringComparer.Ordinal), removed.Order(StringComparer.Ordinal));
        Assert.False(File.Exists(top) || File.Exists(deep));
        Assert.True(File.Exists(running) && File.Exists(ordinary) && File.Exists(lookalike) && File.Exists(beyondLink));
    }

    [Fact]
    public async Task The_file_server_removes_an_interrupted_upload_once_it_expired()
    {
        using var dir = new TempDirectory();
        var root = dir["root"];
        Directory.CreateDirectory(root);
        var part = Write(PartialFile.PathFor(Path.Combine(root, "big.iso")));
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var log = new List<string>();
        var server = new FileServer(new FileServerOptions { Root = root, PartialMaxAge = TimeSpan.FromHours(2), TimeProvider = clock, Log = l => { lock (log) { log.Add(l); } } });

        Assert.Empty(server.RemoveExpiredPartials());
        clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal([part], server.RemoveExpiredPartials());
        Assert.False(File.Exists(part));
        await Task.Yield();
        lock (log)
        {
            Assert.Contains(log, l => l.Contains("removed 1 partial upload(s) older than 2 h", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_ftp_server_removes_expired_partials_when_it_starts()
    {
        using var dir = new TempDirectory();
        var root = dir["root"];
        Directory.CreateDirectory(root);
        var part = Write(PartialFile.PathFor(Path.Combine(root, "left-over.bin")));
        var fresh = Write(PartialFile.PathFor(Path.Combine(root, "recent.bin")));
        File.SetLastWriteTimeUtc(fresh, DateTime.UtcNow + TimeSpan.FromHours(24));
        var clock = new ManualClock(DateTimeOffset.UtcNow + TimeSpan.FromHours(25)); // the left-over is 25 hours old

        await using var server = new FtpServer(new FtpServerOptions { Root = root, Port = 0, AllowPlain = true, TimeProvider = clock });

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (File.Exists(part))
        {
            await Task.Delay(20, limit.Token);
        }

        Assert.True(File.Exists(fresh));
    }

    private static string Write(string path)
    {
        File.WriteAllText(path, "partial");
        return path;
    }
}
