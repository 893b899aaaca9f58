using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SafeWire.Files.Storage;

namespace SafeWire.Files.Ftp;

/// <summary>
/// An FTP server with explicit (AUTH TLS) and implicit FTPS. Each control connection is one async session (no
/// thread per client); the TLS settings, and so the certificate context whose session cache lets data connections
/// resume the TLS session, are shared by all connections.
/// </summary>
public sealed class FtpServer : IAsyncDisposable
{
    private readonly FtpServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private long _nextSessionId;
    private int _activeSessions;

    public FtpServer(FtpServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Certificate is null && (!options.AllowPlain || options.ImplicitPort is not null))
        {
            throw new ArgumentException("FTPS needs a server certificate (only a plain-FTP server without an implicit port can run without one).", nameof(options));
        }

        if (options.Certificate is { HasPrivateKey: false })
        {
            throw new ArgumentException("The server certificate has no private key.", nameof(options));
        }

        _options = options;
        Jail = new RootJail(options.Root);
        LoginThrottle = new FtpLoginThrottle(options.LoginBackoff, options.MaxLoginBackoff, options.TimeProvider);
        Partials = new PartialFileSweeper(Jail.Root, options.PartialMaxAge, options.TimeProvider, options.Log is null ? null : m => options.Log("[server] " + m));
        if (options.Certificate is not null)
        {
            TlsOptions = new SslServerAuthenticationOptions
            {
                // One context for every control and data connection: OpenSSL's session cache lives with it, so
                // data connections resume the control connection's TLS session (clients like FileZilla expect it).
                ServerCertificateContext = SslStreamCertificateContext.Create(options.Certificate, new X509Certificate2Collection(options.CertificateChain.ToArray()), offline: true),
                EnabledSslProtocols = options.TlsProtocols,
                ClientCertificateRequired = false,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
        }
    }

    /// <summary>Where explicit FTPS (and plain FTP, if allowed) is served; valid after <see cref="Start"/>.</summary>
    public IPEndPoint? ExplicitEndPoint { get; private set; }

    /// <summary>Where implicit FTPS is served, if configured; valid after <see cref="Start"/>.</summary>
    public IPEndPoint? ImplicitEndPoint { get; private set; }

    internal FtpServerOptions Options => _options;

    internal RootJail Jail { get; }

    internal FtpLoginThrottle LoginThrottle { get; }

    internal PartialFileSweeper Partials { get; }

    internal SslServerAuthenticationOptions? TlsOptions { get; }

    /// <summary>Binds the ports and starts accepting. Throws SocketException if a port is taken.</summary>
    public void Start()
    {
        ExplicitEndPoint = Listen(_options.Port, implicitTls: false);
        if (_options.ImplicitPort is { } implicitPort)
        {
            ImplicitEndPoint = Listen(implicitPort, implicitTls: true);
        }
    }

    /// <summary>Stops accepting, ends every session and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        await Task.WhenAll(_sessions.Values).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _stopping.Dispose();
    }

    internal void Log(long sessionId, string message) => _options.Log?.Invoke($"[{sessionId}] {message}");

    private IPEndPoint Listen(int port, bool implicitTls)
    {
        var socket = new Socket(_options.Host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(_options.Host, port));
            socket.Listen(64);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _listeners.Add(socket);
        _acceptLoops.Add(AcceptLoopAsync(socket, implicitTls));
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    private async Task AcceptLoopAsync(Socket listener, bool implicitTls)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection reset before it was accepted
            }

            var id = Interlocked.Increment(ref _nextSessionId);
            if (Interlocked.Increment(ref _activeSessions) > _options.MaxSessions)
            {
                Interlocked.Decrement(ref _activeSessions);
                Log(id, $"refused {client.RemoteEndPoint}: {_options.MaxSessions} sessions already");
                RefuseBusy(client, implicitTls);
                continue;
            }

            _sessions[id] = RunSessionAsync(id, client, implicitTls);
        }
    }

    private async Task RunSessionAsync(long id, Socket client, bool implicitTls)
    {
        await Task.Yield(); // leave the accept loop at once
        try
        {
            using var session = new FtpSession(this, id, client, implicitTls);
            await session.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The session logs what it can handle; anything reaching here is a bug, but must not end the server.
            Log(id, "session failed: " + e.Message);
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _activeSessions);
            _sessions.TryRemove(id, out _);
        }
    }

    private static void RefuseBusy(Socket client, bool implicitTls)
    {
        try
        {
            if (!implicitTls)
            {
                client.Send(Encoding.ASCII.GetBytes("421 Too many connections, try again later.\r\n"));
            }
        }
        catch (SocketException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }
}
