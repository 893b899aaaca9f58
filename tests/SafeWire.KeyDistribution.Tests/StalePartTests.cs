using SafeWire.KeyDistribution.Peer;
using SafeWire.TestSupport;

namespace SafeWire.KeyDistribution.Tests;

/// <summary>Temporary receive files a killed receiver left behind expire; nothing else in the directory is touched.</summary>
public sealed class StalePartTests
{
    [Fact]
    public void Only_expired_temporary_receive_files_are_removed()
    {
        using var dir = new TempDirectory();
        var now = DateTimeOffset.UtcNow;
        var old = now - TimeSpan.FromHours(25);
        var expired = Write(dir[".photo.jpg.0A1B2C3D.part"], old);
        var dotted = Write(dir[".archive.tar.gz.99999999.part"], old);
        var fresh = Write(dir[".video.mp4.ABCDEF01.part"], now - TimeSpan.FromHours(23));
        string[] others =
        [
            Write(dir["photo.jpg.0A1B2C3D.part"], old),    // not hidden
            Write(dir[".notes.part"], old),                // no random tag
            Write(dir[".x.0a1b2c3d.part"], old),           // lower case: not a name a receive writes
            Write(dir[".x.0A1B2C3G.part"], old),           // not hex
            Write(dir[".0A1B2C3D.part"], old),             // no file name
            Write(dir["keep.bin"], old),
        ];
        var subdirectory = dir[".folder.0A1B2C3D.part"];
        Directory.CreateDirectory(subdirectory);
        Directory.SetLastWriteTimeUtc(subdirectory, old.UtcDateTime);

        var removed = PeerTransfer.RemoveStaleParts(dir.Path, PeerTransfer.StalePartAge, now);

        Assert.Equal(new[] { dotted, expired }.Order(StringComparer.Ordinal), removed.Order(StringComparer.Ordinal));
        Assert.False(File.Exists(expired) || File.Exists(dotted));
        Assert.True(File.Exists(fresh) && others.All(File.Exists) && Directory.Exists(subdirectory));
    }

    [Fact]
    public void A_missing_directory_removes_nothing()
    {
        using var dir = new TempDirectory();

        Assert.Empty(PeerTransfer.RemoveStaleParts(dir["absent"], PeerTransfer.StalePartAge, DateTimeOffset.UtcNow));
    }

    private static string Write(string path, DateTimeOffset lastWrite)
    {
        File.WriteAllText(path, "partial");
        File.SetLastWriteTimeUtc(path, lastWrite.UtcDateTime);
        return path;
    }
}
