using SafeWire.Files.Tests.Support;
using SafeWire.Files.Transfer;

namespace SafeWire.Files.Tests.Transfer;

/// <summary>A rerun of a tree transfer skips the files the other side already holds with the same SHA-256.</summary>
public sealed class RerunSkipTests : IAsyncLifetime
{
    private static readonly DateTime s_old = new(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private TransferFixture _f = null!;

    public ValueTask InitializeAsync()
    {
        _f = new TransferFixture();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task Rerun_of_put_tree_leaves_complete_files_untouched_and_sends_a_changed_one()
    {
        var tree = Path.Combine(_f.Local, "tree");
        TestFiles.Random(Path.Combine(tree, "a.bin"), 10_000, seed: 1);
        TestFiles.Random(Path.Combine(tree, "aligned.bin"), 3 * 4096, seed: 2);
        TestFiles.Random(Path.Combine(tree, "sub", "c.bin"), 300_000, seed: 3);
        await using var client = await _f.ConnectPlainAsync();
        Assert.DoesNotContain(await client.PutTreeAsync(tree, "/up"), r => r.AlreadyComplete);
        var remote = Path.Combine(_f.Root, "up");
        foreach (var file in Directory.GetFiles(remote, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, s_old);
        }

        TestFiles.Random(Path.Combine(tree, "sub", "c.bin"), 300_000, seed: 4); // same size, other bytes
        var rerun = await client.PutTreeAsync(tree, "/up");

        Assert.Equal(["/up/a.bin", "/up/aligned.bin"], rerun.Where(r => r.AlreadyComplete).Select(r => r.Path));
        Assert.Equal(["/up/sub/c.bin"], rerun.Where(r => !r.AlreadyComplete).Select(r => r.Path));
        Assert.Equal(TestFiles.Sha256(Path.Combine(tree, "a.bin")), rerun[0].Sha256, ignoreCase: true);
        Assert.Equal(s_old, File.GetLastWriteTimeUtc(Path.Combine(remote, "a.bin")));
        Assert.Equal(s_old, File.GetLastWriteTimeUtc(Path.Combine(remote, "aligned.bin")));
        Assert.NotEqual(s_old, File.GetLastWriteTimeUtc(Path.Combine(remote, "sub", "c.bin")));
        Assert.Equal(TestFiles.Tree(tree), TestFiles.Tree(remote));
        Assert.Empty(Directory.GetFiles(_f.Root, "*.safewire-part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Rerun_of_get_tree_leaves_complete_files_untouched_and_fetches_changed_ones()
    {
        var remote = Path.Combine(_f.Root, "down");
        TestFiles.Random(Path.Combine(remote, "a.bin"), 10_000, seed: 1);
        TestFiles.Random(Path.Combine(remote, "aligned.bin"), 3 * 4096, seed: 2);
        TestFiles.Random(Path.Combine(remote, "sub", "c.bin"), 300_000, seed: 3);
        TestFiles.Random(Path.Combine(remote, "grown.bin"), 50_000, seed: 5);
        var copy = Path.Combine(_f.Local, "copy");
        await using var client = await _f.ConnectPlainAsync();
        Assert.DoesNotContain(await client.GetTreeAsync("/down", copy), r => r.AlreadyComplete);
        foreach (var file in Directory.GetFiles(copy, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, s_old);
        }

        TestFiles.Random(Path.Combine(copy, "sub", "c.bin"), 300_000, seed: 4); // the local copy changed, same size
        File.SetLastWriteTimeUtc(Path.Combine(copy, "sub", "c.bin"), s_old);
        await using (var grow = new FileStream(Path.Combine(remote, "grown.bin"), FileMode.Append))
        {
            grow.Write(new byte[777]); // the remote file grew: the local copy is its beginning
        }

        var rerun = await client.GetTreeAsync("/down", copy);

        Assert.Equal(["/down/a.bin", "/down/aligned.bin"], rerun.Where(r => r.AlreadyComplete).Select(r => r.Path));
        Assert.Equal(["/down/grown.bin", "/down/sub/c.bin"], rerun.Where(r => !r.AlreadyComplete).Select(r => r.Path));
        Assert.Equal(50_000, rerun.Single(r => r.Path == "/down/grown.bin").ResumedFrom);
        Assert.Equal(0, rerun.Single(r => r.Path == "/down/sub/c.bin").ResumedFrom);
        Assert.Equal(s_old, File.GetLastWriteTimeUtc(Path.Combine(copy, "a.bin")));
        Assert.Equal(s_old, File.GetLastWriteTimeUtc(Path.Combine(copy, "aligned.bin")));
        Assert.NotEqual(s_old, File.GetLastWriteTimeUtc(Path.Combine(copy, "sub", "c.bin")));
        Assert.Equal(TestFiles.Tree(remote), TestFiles.Tree(copy));
        Assert.Empty(Directory.GetFiles(_f.Local, "*.safewire-part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_same_size_file_with_other_bytes_is_not_complete()
    {
        var source = TestFiles.Random(Path.Combine(_f.Local, "s.bin"), 8192, seed: 7);
        TestFiles.Random(Path.Combine(_f.Root, "s.bin"), 8192, seed: 8);
        File.SetLastWriteTimeUtc(Path.Combine(_f.Root, "s.bin"), s_old);
        await using var client = await _f.ConnectPlainAsync();

        var put = await client.PutAsync(source, "/s.bin");

        Assert.False(put.AlreadyComplete);
        Assert.Equal(0, put.ResumedFrom);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_f.Root, "s.bin")));
        Assert.NotEqual(s_old, File.GetLastWriteTimeUtc(Path.Combine(_f.Root, "s.bin")));
    }
}
