using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SafeWire.Files.Storage;
using SafeWire.Transport;

namespace SafeWire.Files.Ftp;

/// <summary>
/// An FTP server with explicit (AUTH TLS) and implicit FTPS. Each control connection is one async session (no
/// thread per client); the TLS settings, and so the certificate context whose session cache lets data connections
/// resume the TLS session, are shared by all connections. Control connections are admitted by the same policy as
/// every SafeWire server (<see cref="ConnectionAdmission"/>): per-address and overall caps before login, a login
/// deadline that commands before login do not extend, a cap on logged-in sessions, rate-limited logging.
/// </summary>
public sealed class FtpServer : IAsyncDisposable
{
    private readonly FtpServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly ConcurrentDictionary<long, ConnectionLease> _leases = new();
    private readonly ConnectionAdmission _admission;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private long _nextSessionId;

    /// <summary>
    /// An FTPS server with <paramref name="options"/>; nothing is bound until it is started.
    /// Throws <see cref="ArgumentException"/> when the options cannot work together (FTPS without a certificate, ...).
    /// </summary>
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
        var admission = options.Admission?.Clone() ?? new AdmissionOptions
        {
            MaxPendingPerAddress = 8,
            HandshakeTimeout = TimeSpan.FromSeconds(15),
        };
        admission.MaxConnections = options.MaxSessions;
        admission.Log = options.Log;
        _admission = new ConnectionAdmission(admission);
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

    /// <summary>Admission and tracking of the control connections.</summary>
    public ConnectionAdmission Admission => _admission;

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
        _admission.BeginStop();
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        await Task.WhenAll(_sessions.Values).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _admission.Dispose();
        _stopping.Dispose();
    }

    internal void Log(long sessionId, string message) => _options.Log?.Invoke($"[{sessionId}] {message}");

    /// <summary>A session sent a whole, valid command line (AUTH, FEAT, USER…): while stalled or garbage-sending connections remain, it is not the one dropped for a newcomer.</summary>
    internal void Progressed(long sessionId)
    {
        if (_leases.TryGetValue(sessionId, out var lease))
        {
            lease.MarkProgress();
        }
    }

    /// <summary>
    /// A session logged in: it no longer counts against the limits before login, and its login deadline no longer
    /// applies. False when the logged-in sessions are at <see cref="FtpServerOptions.MaxSessions"/>: refuse it (421).
    /// </summary>
    internal bool LoggedIn(long sessionId) => _leases.TryGetValue(sessionId, out var lease) && lease.MarkAuthenticated();

    private IPEndPoint Listen(int port, bool implicitTls)
    {
        var socket = new Socket(_options.Host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(_options.Host, port));
            socket.Listen(512); // a flood is refused by the admission policy, not by a full backlog
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
            var session = RunSessionAsync(id, client, implicitTls);
            if (!session.IsCompleted)
            {
                _sessions[id] = session;
                _ = session.ContinueWith(_ => _sessions.TryRemove(id, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One control connection's whole life; its place is freed in the finally, whatever throws.</summary>
    private async Task RunSessionAsync(long id, Socket client, bool implicitTls)
    {
        ConnectionLease? lease = null;
        try
        {
            await Task.Yield(); // leave the accept loop at once
            var result = _admission.TryAdmit(client.RemoteEndPoint as IPEndPoint, out lease);
            if (result != AdmissionResult.Admitted)
            {
                RefuseBusy(client, implicitTls, result);
                return;
            }

            _leases[id] = lease!;
            using var session = new FtpSession(this, id, client, implicitTls);

            // The login deadline (TLS included): it runs from accept and nothing before login extends it. When it
            // passes, or the connection is dropped to make room for a newcomer, the control connection is closed.
            using var deadline = lease!.StartDeadline(_stopping.Token);
            using var enforce = deadline.Token.Register(() =>
            {
                if (!lease.IsAuthenticated && !_stopping.IsCancellationRequested)
                {
                    _admission.ReportFailure(lease.RemoteEndPoint, deadline.Expired
                        ? $"not logged in within {_admission.Options.HandshakeTimeout.TotalSeconds:0.#} s; connection closed"
                        : "dropped before login: a new connection needed its place");
                    client.Dispose();
                }
            });
            await session.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The session logs what it can handle; anything reaching here is a bug, but must not end the server.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // The session logs what it can handle; anything reaching here is a bug, but must not end the server.
            Log(id, "session failed: " + ErrorText.Of(e));
        }
        finally
        {
            client.Dispose();
            _leases.TryRemove(id, out _);
            lease?.Dispose();
        }
    }

    private static void RefuseBusy(Socket client, bool implicitTls, AdmissionResult why)
    {
        try
        {
            if (!implicitTls)
            {
                var text = why == AdmissionResult.TooManyFromAddress
                    ? "421 Too many connections from your address are waiting to log in; try again later.\r\n"
                    : "421 Server busy: too many connections; try again later.\r\n";
                client.Blocking = false;
                client.Send(Encoding.ASCII.GetBytes(text));
                client.Shutdown(SocketShutdown.Send);
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
