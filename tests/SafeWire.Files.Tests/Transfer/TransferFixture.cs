using System.Net;
using System.Net.Sockets;
using SafeWire.Files.Transfer;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Transport;

namespace SafeWire.Files.Tests.Transfer;

/// <summary>
/// A file server root and a client folder; connects clients either over plain loopback TCP (the protocol alone) or
/// through <see cref="FileServerHost"/> over SecureStream with an allow-list of client keys.
/// </summary>
public sealed class TransferFixture : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<string> _log = [];
    private readonly List<IAsyncDisposable> _owned = [];

    public TransferFixture()
    {
        Root = _dir["root"];
        Local = _dir["local"];
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Local);
        Home = new SafeWireHome(_dir["home"]);
    }

    public string Root { get; }

    public string Local { get; }

    public SafeWireHome Home { get; }

    public string Outside => _dir.Path;

    public string Log
    {
        get { lock (_log) { return string.Join('\n', _log); } }
    }

    public FileServerOptions Options(bool readOnly = false, Func<PeerIdentity?, FileAccessLevel>? authorize = null) => new()
    {
        Root = Root,
        ReadOnly = readOnly,
        Authorize = authorize ?? (_ => FileAccessLevel.ReadWrite),
        Log = line => { lock (_log) { _log.Add(line); } },
    };

    /// <summary>A client over plain loopback TCP to a fresh server connection; <paramref name="wrap"/> can sabotage the client's stream.</summary>
    public async Task<FileClient> ConnectPlainAsync(FileServerOptions? options = null, Func<Stream, Stream>? wrap = null)
    {
        var server = new FileServer(options ?? Options());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var connect = new TcpClient();
        await connect.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var accepted = await listener.AcceptTcpClientAsync();
        var serving = Task.Run(async () =>
        {
            using (accepted)
            {
                try
                {
                    await server.ServeAsync(accepted.GetStream(), null, CancellationToken.None);
                }
                catch (IOException e)
                {
                    lock (_log) { _log.Add("server connection ended: " + e.Message); }
                }
            }
        });
        _owned.Add(new TaskDisposer(serving));
        Stream stream = connect.GetStream();
        return new FileClient(wrap is null ? stream : wrap(stream));
    }

    /// <summary>Starts a SafeWire file server host whose allow-list holds <paramref name="allowed"/> client names.</summary>
    public FileServerHost StartSecureHost(IEnumerable<string> allowed, FileServerOptions? options = null)
    {
        var credential = Home.LoadOrCreateServerCredential("files", ["localhost"], [IPAddress.Loopback]);
        var list = new AllowList();
        foreach (var name in allowed)
        {
            using var client = Home.LoadOrCreateClientCredential(name);
            list.Add(new AllowListEntry(client.Fingerprint, name));
        }

        var host = new FileServerHost(options ?? Options(), new SecureServerOptions
        {
            ServerCredential = credential,
            ClientVerifier = new AllowListVerifier(list),
            RequireClientCredential = true,
        }, new IPEndPoint(IPAddress.Loopback, 0));
        host.Start();
        _owned.Add(host);
        return host;
    }

    public async Task<FileClient> ConnectSecureAsync(FileServerHost host, string clientName)
    {
        var options = new SecureClientOptions
        {
            ServerVerifier = Home.CreateCaVerifier(),
            ServerName = "localhost",
            ClientCredential = Home.LoadOrCreateClientCredential(clientName),
        };
        return await FileServerHost.ConnectAsync("127.0.0.1", host.EndPoint.Port, options);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        _dir.Dispose();
    }

    private sealed class TaskDisposer(Task task) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}

/// <summary>A stream that dies (IOException, inner closed) once <c>limit</c> bytes have been read or written: a transfer killed half-way.</summary>
public sealed class DyingStream(Stream inner, long readLimit, long writeLimit) : Stream
{
    private long _read;
    private long _written;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_read >= readLimit)
        {
            Die();
        }

        var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, readLimit - _read)], cancellationToken);
        _read += n;
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var allowed = (int)Math.Min(buffer.Length, writeLimit - _written);
        await inner.WriteAsync(buffer[..allowed], cancellationToken);
        _written += allowed;
        if (allowed < buffer.Length)
        {
            Die();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Die()
    {
        inner.Dispose();
        throw new IOException("killed");
    }
}
