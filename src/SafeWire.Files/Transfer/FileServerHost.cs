using System.Net;
using System.Net.Sockets;
using SafeWire.Transport;

namespace SafeWire.Files.Transfer;

/// <summary>
/// Serves the file protocol on every connection a <see cref="SecureListener"/> authenticated (the server's
/// certificate; the client's key checked by the allow-list verifier in
/// <see cref="SecureServerOptions.ClientVerifier"/>). One async task per connection; admission (the cap on
/// connections, per-address limits and deadlines for handshakes) is the listener's.
/// </summary>
/// <example>
/// Share a folder read-only with the clients on the home's allow-list:
/// <code>
/// var home = SafeWireHome.Resolve(null);
/// using var credential = home.LoadOrCreateServerCredential("files", ["files.example.internal"], []);
/// await using var host = new FileServerHost(
///     new FileServerOptions { Root = "/srv/share", ReadOnly = true, Log = Console.WriteLine },
///     new SecureServerOptions { ServerCredential = credential, ClientVerifier = home.CreateAllowListVerifier(), RequireClientCredential = true },
///     new IPEndPoint(IPAddress.Any, 7001));
/// host.Start();
/// await Task.Delay(Timeout.Infinite, stopping.Token);
/// </code>
/// A client of it:
/// <code>
/// await using var client = await FileServerHost.ConnectAsync("files.example.internal", 7001, new SecureClientOptions
/// {
///     ServerVerifier = home.CreateCaVerifier(),
///     ServerName = "files.example.internal",
///     ClientCredential = LocalCredential.FromRawKey(home.LoadOrCreateKey("node", out _)),
/// });
/// foreach (var entry in await client.ListAsync("/"))
/// {
///     Console.WriteLine($"{entry.Name} {entry.Size}");
/// }
/// </code>
/// </example>
public sealed class FileServerHost : IAsyncDisposable
{
    private readonly FileServer _server;
    private readonly FileServerOptions _options;
    private readonly SecureListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _serving;

    /// <summary>A host with the default admission policy and at most <paramref name="maxConnections"/> authenticated clients.</summary>
    public FileServerHost(FileServerOptions options, SecureServerOptions secure, IPEndPoint endPoint, int maxConnections = 32)
        : this(options, secure, endPoint, new AdmissionOptions { MaxConnections = maxConnections })
    {
    }

    /// <summary>A host with the given admission policy; its log goes to the file server's log unless it has its own.</summary>
    public FileServerHost(FileServerOptions options, SecureServerOptions secure, IPEndPoint endPoint, AdmissionOptions admission)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(admission);
        _server = new FileServer(options);
        _options = options;
        var policy = admission.Clone();
        policy.Log ??= options.Log;
        _listener = new SecureListener(endPoint, secure, policy);
    }

    /// <summary>The bound address.</summary>
    public IPEndPoint EndPoint => _listener.LocalEndPoint;

    /// <summary>Admission and tracking of this host's connections.</summary>
    public ConnectionAdmission Admission => _listener.Admission;

    /// <summary>Binds the port (SocketException if taken) and starts serving.</summary>
    public void Start()
    {
        _listener.Start();
        _serving = _listener.ServeAsync(ServeConnectionAsync, _stopping.Token);
    }

    /// <summary>Stops accepting and waits for the connections being served.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        if (_serving is not null)
        {
            await _serving.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <summary>Connects to a file server and runs the client handshake; the caller owns the returned client.</summary>
    public static async Task<FileClient> ConnectAsync(string host, int port, SecureClientOptions options, CancellationToken cancellationToken = default) =>
        new(await SecureConnector.ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false));

    private async Task ServeConnectionAsync(AcceptedConnection connection, CancellationToken stopping)
    {
        var secure = connection.Stream;
        var remote = connection.RemoteEndPoint;
        try
        {
            _options.Log?.Invoke($"{remote}: {secure.RemoteIdentity?.Name ?? "client"} connected ({secure.RemoteIdentity?.Fingerprint})");
            await _server.ServeAsync(secure, secure.RemoteIdentity, stopping).ConfigureAwait(false);
            await secure.ShutdownAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _options.Log?.Invoke($"{remote}: connection ended: {e.Message}");
        }
    }
}
