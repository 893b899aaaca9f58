using SafeWire.Framing;
using System.Net;
using System.Net.Sockets;
using SafeWire.Files.Tests.Support;
using SafeWire.Files.Transfer;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Files.Tests.Transfer;

public sealed class FileTransferTests : IAsyncLifetime
{
    private TransferFixture _f = null!;

    public ValueTask InitializeAsync()
    {
        _f = new TransferFixture();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _f.DisposeAsync();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(256 * 1024)] // exactly one Data frame
    [InlineData(3 * 1024 * 1024 + 5)]
    public async Task Put_then_get_round_trips_byte_identical(int size)
    {
        var source = TestFiles.Random(Path.Combine(_f.Local, "source.bin"), size, seed: size);
        await using var client = await _f.ConnectPlainAsync();

        var put = await client.PutAsync(source, "/up.bin");
        var get = await client.GetAsync("/up.bin", Path.Combine(_f.Local, "back.bin"));

        var expected = TestFiles.Sha256(source);
        Assert.Equal(expected, TestFiles.Sha256(Path.Combine(_f.Root, "up.bin")));
        Assert.Equal(expected, TestFiles.Sha256(Path.Combine(_f.Local, "back.bin")));
        Assert.Equal(expected, put.Sha256, ignoreCase: true);
        Assert.Equal(expected, get.Sha256, ignoreCase: true);
        Assert.Empty(Directory.GetFiles(_f.Root, "*.safewire-part", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_f.Local, "*.safewire-part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Hundred_megabytes_round_trip_over_secure_stream()
    {
        var source = TestFiles.Random(Path.Combine(_f.Local, "big.bin"), 100L * 1024 * 1024, seed: 42);
        var host = _f.StartSecureHost(["alice"]);
        await using var client = await _f.ConnectSecureAsync(host, "alice");
        var reports = 0;
        var progress = new SyncProgress(_ => reports++);

        await client.PutAsync(source, "/big.bin", progress);
        await client.GetAsync("/big.bin", Path.Combine(_f.Local, "big-back.bin"), progress);

        var expected = TestFiles.Sha256(source);
        Assert.Equal(expected, TestFiles.Sha256(Path.Combine(_f.Root, "big.bin")));
        Assert.Equal(expected, TestFiles.Sha256(Path.Combine(_f.Local, "big-back.bin")));
        Assert.True(reports >= 2 * (100 * 1024 * 1024 / FileChannel.DataChunk), $"{reports} progress reports"); // one per chunk each way
    }

    [Fact]
    public async Task Directory_tree_round_trips_over_secure_stream()
    {
        var tree = Path.Combine(_f.Local, "tree");
        TestFiles.Random(Path.Combine(tree, "a.bin"), 10_000, seed: 1);
        TestFiles.Random(Path.Combine(tree, "empty"), 0);
        TestFiles.Random(Path.Combine(tree, "x", "y", "z", "deep.bin"), 300_000, seed: 2);
        TestFiles.Random(Path.Combine(tree, "x", "ñ ünï.txt"), 77, seed: 3);
        Directory.CreateDirectory(Path.Combine(tree, "empty-dir"));
        var host = _f.StartSecureHost(["alice"]);
        await using var client = await _f.ConnectSecureAsync(host, "alice");

        var up = await client.PutTreeAsync(tree, "/remote/tree");
        var down = await client.GetTreeAsync("/remote/tree", Path.Combine(_f.Local, "copy"));

        Assert.Equal(4, up.Count);
        Assert.Equal(4, down.Count);
        Assert.Equal(TestFiles.Tree(tree), TestFiles.Tree(Path.Combine(_f.Root, "remote", "tree")));
        Assert.Equal(TestFiles.Tree(tree), TestFiles.Tree(Path.Combine(_f.Local, "copy")));
        Assert.True(Directory.Exists(Path.Combine(_f.Local, "copy", "empty-dir")));
    }

    [Fact]
    public async Task Killed_download_resumes_and_verifies()
    {
        var source = TestFiles.Random(Path.Combine(_f.Root, "file.bin"), 8 * 1024 * 1024, seed: 5);
        var target = Path.Combine(_f.Local, "file.bin");
        await using (var dying = await _f.ConnectPlainAsync(wrap: s => new DyingStream(s, readLimit: 3_000_000, writeLimit: long.MaxValue)))
        {
            await Assert.ThrowsAsync<IOException>(() => dying.GetAsync("/file.bin", target));
        }

        Assert.False(File.Exists(target)); // no partial file carries the final name
        var partLength = new FileInfo(Path.Combine(_f.Local, ".file.bin.safewire-part")).Length;
        Assert.InRange(partLength, 1, 3_000_000);

        await using var client = await _f.ConnectPlainAsync();
        var result = await client.GetAsync("/file.bin", target);

        Assert.Equal(partLength, result.ResumedFrom);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(target));
        Assert.False(File.Exists(Path.Combine(_f.Local, ".file.bin.safewire-part")));
    }

    [Fact]
    public async Task Killed_upload_resumes_and_verifies()
    {
        var source = TestFiles.Random(Path.Combine(_f.Local, "file.bin"), 8 * 1024 * 1024, seed: 6);
        await using (var dying = await _f.ConnectPlainAsync(wrap: s => new DyingStream(s, readLimit: long.MaxValue, writeLimit: 3_000_000)))
        {
            await Assert.ThrowsAsync<IOException>(() => dying.PutAsync(source, "/file.bin"));
        }

        var part = Path.Combine(_f.Root, ".file.bin.safewire-part");
        await WaitUntil(() => File.Exists(part) && new FileInfo(part).Length > 0);
        Assert.False(File.Exists(Path.Combine(_f.Root, "file.bin")));

        await using var client = await _f.ConnectPlainAsync();
        var result = await client.PutAsync(source, "/file.bin");

        Assert.InRange(result.ResumedFrom, 1, 3_000_000);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_f.Root, "file.bin")));
        Assert.False(File.Exists(part));
    }

    [Fact]
    public async Task Tampered_partial_download_is_detected_and_sent_again()
    {
        var source = TestFiles.Random(Path.Combine(_f.Root, "file.bin"), 4 * 1024 * 1024, seed: 7);
        var part = Path.Combine(_f.Local, ".file.bin.safewire-part");
        var bytes = File.ReadAllBytes(source)[..1_000_000];
        bytes[123_456] ^= 0x01;
        File.WriteAllBytes(part, bytes);

        await using var client = await _f.ConnectPlainAsync();
        var result = await client.GetAsync("/file.bin", Path.Combine(_f.Local, "file.bin"));

        Assert.Equal(0, result.ResumedFrom);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_f.Local, "file.bin")));
        Assert.Contains("does not match; sending it whole", _f.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tampered_partial_upload_is_detected_and_sent_again()
    {
        var source = TestFiles.Random(Path.Combine(_f.Local, "file.bin"), 4 * 1024 * 1024, seed: 8);
        var bytes = File.ReadAllBytes(source)[..1_000_000];
        bytes[0] ^= 0x80;
        File.WriteAllBytes(Path.Combine(_f.Root, ".file.bin.safewire-part"), bytes);

        await using var client = await _f.ConnectPlainAsync();
        var result = await client.PutAsync(source, "/file.bin");

        Assert.Equal(0, result.ResumedFrom);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_f.Root, "file.bin")));
    }

    [Fact]
    public async Task A_partial_download_resumes_from_its_last_whole_block()
    {
        var source = TestFiles.Random(Path.Combine(_f.Root, "file.bin"), 3 * 1024 * 1024 + 17, seed: 10);
        var part = Path.Combine(_f.Local, ".file.bin.safewire-part");
        File.WriteAllBytes(part, File.ReadAllBytes(source)[..1_000_000]);

        await using var client = await _f.ConnectPlainAsync();
        var result = await client.GetAsync("/file.bin", Path.Combine(_f.Local, "file.bin"));

        Assert.Equal(999_424, result.ResumedFrom); // 244 blocks of 4096: direct writes stay aligned after a resume
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_f.Local, "file.bin")));
        Assert.False(File.Exists(part));
    }

    [Fact]
    public async Task A_partial_upload_resumes_from_its_last_whole_block()
    {
        var source = TestFiles.Random(Path.Combine(_f.Local, "file.bin"), 3 * 1024 * 1024 + 17, seed: 11);
        File.WriteAllBytes(Path.Combine(_f.Root, ".file.bin.safewire-part"), File.ReadAllBytes(source)[..1_000_000]);

        await using var client = await _f.ConnectPlainAsync();
        var result = await client.PutAsync(source, "/file.bin");

        Assert.Equal(999_424, result.ResumedFrom);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_f.Root, "file.bin")));
    }

    [Fact]
    public async Task A_partial_longer_than_the_file_is_not_trusted()
    {
        var source = TestFiles.Random(Path.Combine(_f.Root, "small.bin"), 1000, seed: 9);
        File.WriteAllBytes(Path.Combine(_f.Local, ".small.bin.safewire-part"), new byte[5000]);

        await using var client = await _f.ConnectPlainAsync();
        var result = await client.GetAsync("/small.bin", Path.Combine(_f.Local, "small.bin"));

        Assert.Equal(0, result.ResumedFrom);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_f.Local, "small.bin")));
    }

    [Fact]
    public async Task Upload_with_more_data_than_announced_is_refused_and_not_committed()
    {
        var server = new FileServer(_f.Options());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var connect = new TcpClient();
        await connect.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, TestContext.Current.CancellationToken);
        using var accepted = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
        var serving = Task.Run(() => server.ServeAsync(accepted.GetStream(), null, CancellationToken.None), TestContext.Current.CancellationToken);
        var channel = new FileChannel(connect.GetStream());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var writer = new FieldSpanWriter(channel.Payload);
        writer.String16("/over.bin");
        writer.I64(10);
        await channel.SendAsync(FileMessageType.Put, writer.Length, timeout.Token);
        await channel.ExpectAsync(FileMessageType.PutReady, timeout.Token);
        writer = new FieldSpanWriter(channel.Payload);
        writer.I64(0);
        await channel.SendAsync(FileMessageType.PutFrom, writer.Length, timeout.Token);
        await channel.SendAsync(FileMessageType.Data, 8, timeout.Token);
        await channel.SendAsync(FileMessageType.Data, 8, timeout.Token);

        // A protocol violation ends the connection: the server stops with BadRequest and commits nothing.
        var refused = await Assert.ThrowsAsync<FileTransferException>(() => serving.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(FileErrorCode.BadRequest, refused.Code);
        Assert.False(File.Exists(Path.Combine(_f.Root, "over.bin")));
    }

    [Theory]
    [InlineData("../secret.txt")]
    [InlineData("/../../secret.txt")]
    [InlineData("sub/../../secret.txt")]
    [InlineData("link-out/secret.txt")]
    [InlineData("a\0b")]
    [InlineData("\uFF0E\uFF0E/secret.txt")]
    [InlineData("CON")]
    public async Task Path_escapes_are_refused(string path)
    {
        File.WriteAllText(Path.Combine(_f.Outside, "secret.txt"), "outside");
        Directory.CreateDirectory(Path.Combine(_f.Root, "sub"));
        Directory.CreateSymbolicLink(Path.Combine(_f.Root, "link-out"), _f.Outside);
        var source = TestFiles.Random(Path.Combine(_f.Local, "x.bin"), 10);
        await using var client = await _f.ConnectPlainAsync();

        Assert.Equal(FileErrorCode.PathRejected, (await Assert.ThrowsAsync<FileTransferException>(() => client.GetAsync(path, Path.Combine(_f.Local, "got.bin")))).Code);
        Assert.Equal(FileErrorCode.PathRejected, (await Assert.ThrowsAsync<FileTransferException>(() => client.PutAsync(source, path))).Code);
        Assert.Equal(FileErrorCode.PathRejected, (await Assert.ThrowsAsync<FileTransferException>(() => client.ListAsync(path))).Code);
        Assert.Equal(FileErrorCode.PathRejected, (await Assert.ThrowsAsync<FileTransferException>(() => client.DeleteAsync(path))).Code);
        Assert.Equal("outside", File.ReadAllText(Path.Combine(_f.Outside, "secret.txt")));
        Assert.False(File.Exists(Path.Combine(_f.Local, "got.bin")));
    }

    [Fact]
    public async Task Client_not_on_the_allow_list_is_refused_in_the_handshake()
    {
        var host = _f.StartSecureHost(["alice"]);

        // The client's side of the handshake may complete before the server checks its key; the refusal (an alert)
        // then arrives on the first read.
        var error = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await using var client = await _f.ConnectSecureAsync(host, "mallory");
            await client.ListAsync("/");
        });

        var secure = Assert.IsType<SecureChannelException>(error);
        await WaitUntil(() => _f.Log.Contains("not on the allow-list", StringComparison.Ordinal));
        Assert.DoesNotContain("mallory connected", _f.Log, StringComparison.Ordinal);
        Assert.NotNull(secure);
    }

    [Fact]
    public async Task Allowed_client_sees_its_identity_and_rights()
    {
        var host = _f.StartSecureHost(["alice", "bob"], _f.Options(authorize: peer => peer?.Name == "bob" ? FileAccessLevel.Read : FileAccessLevel.ReadWrite));
        File.WriteAllText(Path.Combine(_f.Root, "shared.txt"), "hello");
        var source = TestFiles.Random(Path.Combine(_f.Local, "x.bin"), 10);

        await using (var bob = await _f.ConnectSecureAsync(host, "bob"))
        {
            Assert.Equal(["shared.txt"], (await bob.ListAsync("/")).Select(e => e.Name));
            Assert.Equal(FileErrorCode.ReadOnly, (await Assert.ThrowsAsync<FileTransferException>(() => bob.PutAsync(source, "/x.bin"))).Code);
        }

        await using var alice = await _f.ConnectSecureAsync(host, "alice");
        await alice.PutAsync(source, "/x.bin");
        Assert.True(File.Exists(Path.Combine(_f.Root, "x.bin")));
        Assert.Contains("bob connected", _f.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_identity_gets_access_denied()
    {
        await using var client = await _f.ConnectPlainAsync(_f.Options(authorize: _ => FileAccessLevel.None));

        Assert.Equal(FileErrorCode.AccessDenied, (await Assert.ThrowsAsync<FileTransferException>(() => client.ListAsync("/"))).Code);
    }

    [Fact]
    public async Task Read_only_server_refuses_every_change()
    {
        File.WriteAllText(Path.Combine(_f.Root, "keep.txt"), "keep");
        var source = TestFiles.Random(Path.Combine(_f.Local, "x.bin"), 10);
        await using var client = await _f.ConnectPlainAsync(_f.Options(readOnly: true));

        Assert.Equal(FileErrorCode.ReadOnly, (await Assert.ThrowsAsync<FileTransferException>(() => client.PutAsync(source, "/x.bin"))).Code);
        Assert.Equal(FileErrorCode.ReadOnly, (await Assert.ThrowsAsync<FileTransferException>(() => client.DeleteAsync("/keep.txt"))).Code);
        Assert.Equal(FileErrorCode.ReadOnly, (await Assert.ThrowsAsync<FileTransferException>(() => client.MakeDirectoryAsync("/d"))).Code);
        Assert.True(File.Exists(Path.Combine(_f.Root, "keep.txt")));
        await client.GetAsync("/keep.txt", Path.Combine(_f.Local, "keep.txt"));
    }

    [Fact]
    public async Task Mkdir_list_stat_and_rm()
    {
        await using var client = await _f.ConnectPlainAsync();
        var source = TestFiles.Random(Path.Combine(_f.Local, "x.bin"), 1234);

        await client.MakeDirectoryAsync("/d");
        await client.PutAsync(source, "/d/x.bin");
        var entries = await client.ListAsync("/d");
        var stat = await client.StatAsync("/d/x.bin");

        Assert.Equal("x.bin", Assert.Single(entries).Name);
        Assert.Equal(1234, stat!.Size);
        Assert.Null(await client.StatAsync("/nope"));
        Assert.Equal(FileErrorCode.NotEmpty, (await Assert.ThrowsAsync<FileTransferException>(() => client.DeleteAsync("/d"))).Code);
        await client.DeleteAsync("/d/x.bin");
        await client.DeleteAsync("/d");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_f.Root));
        Assert.Equal(FileErrorCode.NotFound, (await Assert.ThrowsAsync<FileTransferException>(() => client.GetAsync("/gone", Path.Combine(_f.Local, "gone")))).Code);
        Assert.Empty(Directory.GetFiles(_f.Local, "*.safewire-part"));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 10 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>IProgress that reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
