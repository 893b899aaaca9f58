using SafeWire.Enrollment;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Tests.Enrollment;

public sealed class FileVersionCacheTests
{
    [Fact]
    public void AFileIsReadOnceUntilItIsReplaced_ThenTheOldValueIsDisposed()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "crl.pem");
        File.WriteAllText(path, "one");
        var reads = 0;
        var cache = new FileVersionCache<Held>(path, p =>
        {
            reads++;
            return new Held(File.ReadAllText(p));
        });

        var first = cache.Use(v => v);
        Assert.Equal("one", first!.Text);
        Assert.Equal("one", cache.Use(v => v!.Text));
        Assert.Equal(1, reads);

        // Replaced by rename, as every writer here does: a new write time and length.
        var temp = path + ".tmp";
        File.WriteAllText(temp, "two, longer");
        File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(path).AddSeconds(1));
        File.Move(temp, path, overwrite: true);
        Assert.Equal("two, longer", cache.Use(v => v!.Text));
        Assert.Equal(2, reads);
        Assert.True(first.Disposed);

        File.Delete(path);
        Assert.Null(cache.Use(v => v));
    }

    [Fact]
    public void AValueSetByItsOwnWriter_IsUsedWithoutReadingTheFile_UntilAnotherWriterReplacesIt()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "list.txt");
        File.WriteAllText(path, "one");
        var reads = 0;
        var cache = new FileVersionCache<Held>(path, p =>
        {
            reads++;
            return new Held(File.ReadAllText(p));
        });
        Assert.Equal("one", cache.Use(v => v!.Text));

        var temp = path + ".tmp";
        File.WriteAllText(temp, "two, ours");
        File.Move(temp, path, overwrite: true);
        var ours = new Held("two, ours");
        cache.Set(ours);
        Assert.Same(ours, cache.Use(v => v));
        Assert.Equal(1, reads);

        File.WriteAllText(temp, "three, another writer's");
        File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(path).AddSeconds(1));
        File.Move(temp, path, overwrite: true);
        Assert.Equal("three, another writer's", cache.Use(v => v!.Text));
        Assert.Equal(2, reads);
        Assert.True(ours.Disposed);
    }

    private sealed class Held(string text) : IDisposable
    {
        public string Text { get; } = text;

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
