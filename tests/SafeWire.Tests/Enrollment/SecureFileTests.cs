using SafeWire.Identity;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Tests.Enrollment;

public sealed class SecureFileTests
{
    [Fact]
    public void WriteAll_WritesEveryFile_WithItsMode()
    {
        using var dir = new TempDirectory();
        var count = SecureFile.MaxConcurrentFlushes + 3; // more than are flushed at once
        var files = Enumerable.Range(0, count).Select(i => (Path: dir["issued/m" + i + ".crt"], Content: new[] { (byte)i, (byte)'x' }, Secret: i == 0)).ToList();

        SecureFile.WriteAll(files);

        foreach (var (path, content, secret) in files)
        {
            Assert.Equal(content, File.ReadAllBytes(path));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    File.GetUnixFileMode(path));
            }
        }

        Assert.Equal(count, Directory.GetFiles(dir["issued"]).Length); // no temporary file left
    }

    [Fact]
    public void WriteAll_WhenOneFileCannotBeWritten_RenamesNoneIntoPlace_AndLeavesNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["allowed.txt"], "old");
        File.WriteAllText(dir["blocker"], "a file where a directory is needed");
        var files = new List<(string Path, byte[] Content, bool Secret)>
        {
            (dir["allowed.txt"], "new"u8.ToArray(), false),
            (dir["a.crt"], "a"u8.ToArray(), false),
            (dir["blocker/b.crt"], "b"u8.ToArray(), false),
        };

        Assert.ThrowsAny<IOException>(() => SecureFile.WriteAll(files));

        Assert.Equal("old", File.ReadAllText(dir["allowed.txt"]));
        Assert.False(File.Exists(dir["a.crt"]));
        Assert.Equal(["allowed.txt", "blocker"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
