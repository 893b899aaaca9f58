using SafeWire.Files.Storage;
using SafeWire.Files.Tests.Support;
using SafeWire.Files.Tests.Transfer;
using SafeWire.Files.Transfer;

namespace SafeWire.Files.Tests.Storage;

/// <summary>The optional quota on unfinished uploads: partial files left for resuming count against it.</summary>
public sealed class PartialQuotaTests : IAsyncLifetime
{
    private const long Quota = 100 * 1024;
    private TransferFixture _f = null!;

    public ValueTask InitializeAsync()
    {
        _f = new TransferFixture();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task Partial_files_count_against_the_quota_and_a_resumed_upload_does_not_count_its_own()
    {
        Directory.CreateDirectory(Path.Combine(_f.Root, "sub"));
        var left = Path.Combine(_f.Root, "sub", "." + "left.bin" + PartialFile.Suffix);
        File.WriteAllBytes(left, new byte[60 * 1024]); // an interrupted upload, kept for resuming
        var tooBig = TestFiles.Random(Path.Combine(_f.Local, "big.bin"), 50 * 1024, seed: 1);
        var fits = TestFiles.Random(Path.Combine(_f.Local, "small.bin"), 30 * 1024, seed: 2);
        var resumed = TestFiles.Random(Path.Combine(_f.Local, "left.bin"), 90 * 1024, seed: 3);
        var options = _f.Options();
        await using var client = await _f.ConnectPlainAsync(new FileServerOptions { Root = options.Root, Authorize = options.Authorize, Log = options.Log, PartialQuota = Quota });

        var refused = await Assert.ThrowsAsync<FileTransferException>(() => client.PutAsync(tooBig, "/big.bin"));
        await client.PutAsync(fits, "/small.bin");
        await client.PutAsync(resumed, "/sub/left.bin");

        Assert.Equal(FileErrorCode.Busy, refused.Code);
        Assert.Contains("space for unfinished uploads is full", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_f.Root, "big.bin")) || File.Exists(PartialFile.PathFor(Path.Combine(_f.Root, "big.bin"))));
        Assert.Equal(TestFiles.Sha256(fits), TestFiles.Sha256(Path.Combine(_f.Root, "small.bin")));
        Assert.Equal(TestFiles.Sha256(resumed), TestFiles.Sha256(Path.Combine(_f.Root, "sub", "left.bin")));
        Assert.False(File.Exists(left));
    }

    [Fact]
    public async Task Without_a_quota_the_same_upload_is_accepted()
    {
        File.WriteAllBytes(Path.Combine(_f.Root, "." + "left.bin" + PartialFile.Suffix), new byte[60 * 1024]);
        var big = TestFiles.Random(Path.Combine(_f.Local, "big.bin"), 50 * 1024, seed: 1);
        await using var client = await _f.ConnectPlainAsync();

        await client.PutAsync(big, "/big.bin");

        Assert.Equal(TestFiles.Sha256(big), TestFiles.Sha256(Path.Combine(_f.Root, "big.bin")));
    }
}
