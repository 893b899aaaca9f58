using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Handshake;
using SafeWire.Transport;

namespace SafeWire.Benchmarks.Channel;

/// <summary>The three streams compared side by side.</summary>
internal enum Contender
{
    /// <summary>SafeWire's SecureStream, AES-256-GCM, ECDSA P-256 certificate checked by CaVerifier.</summary>
    SecureStream,

    /// <summary>.NET SslStream, TLS 1.3 only, TLS_AES_256_GCM_SHA384, the same ECDSA P-256 certificate.</summary>
    SslStream,

    /// <summary>A plain NetworkStream: the floor (no handshake, no encryption).</summary>
    Plain,
}

/// <summary>
/// Wraps connected sockets into authenticated streams of each contender with equivalent settings: one suite
/// (AES-256-GCM), the same certificate, real chain validation to the bench CA on the client, no client
/// authentication. Resumption is off unless asked for (SslStream: AllowTlsResume on both ends).
/// </summary>
internal sealed class Contenders : IDisposable
{
    private readonly X509Certificate2 _root;
    private readonly BenchCertificates? _server;
    private readonly CaVerifier _caVerifier;
    private readonly SslStreamCertificateContext? _sslContext;
    private readonly CipherSuitesPolicy? _tlsSuites;
    private readonly SessionTicketStore _tickets = new();
    private SecureServerOptions? _serverOptions;
    private SecureServerOptions? _resumingServerOptions;

    /// <summary>Both ends (the server's certificate and key, and the root the clients trust).</summary>
    public Contenders(BenchCertificates certificates)
        : this(certificates.Root, certificates)
    {
    }

    /// <summary>Clients only (the idle-connection child process): trusts <paramref name="root"/>.</summary>
    public Contenders(X509Certificate2 root, BenchCertificates? server = null)
    {
        _root = root;
        _server = server;
        _caVerifier = new CaVerifier([root]);

        // Pin TLS 1.3 to AES-256-GCM like SecureStream (Windows cannot take a policy; its default prefers it anyway).
        _tlsSuites = OperatingSystem.IsWindows() ? null : new CipherSuitesPolicy([TlsCipherSuite.TLS_AES_256_GCM_SHA384]);
        if (server is not null)
        {
            _sslContext = SslStreamCertificateContext.Create(server.ServerWithKey, additionalCertificates: null, offline: true);
        }
    }

    public static Contender Parse(string name) => Enum.Parse<Contender>(name, ignoreCase: true);

    public static string Name(Contender contender) => contender switch
    {
        Contender.SecureStream => "SecureStream",
        Contender.SslStream => "SslStream",
        _ => "plain TCP",
    };

    public static Socket NewSocket()
    {
        // Linger 0: close with RST, so thousands of short benchmark connections leave no TIME_WAIT behind.
        return new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            LingerState = new LingerOption(true, 0),
        };
    }

    public static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(4096);
        return listener;
    }

    public static async Task<(Socket Client, Socket Server)> ConnectPairAsync(TcpListener listener)
    {
        var client = NewSocket();
        var accept = listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint).ConfigureAwait(false);
        var server = await accept.ConfigureAwait(false);
        server.NoDelay = true;
        server.LingerState = new LingerOption(true, 0);
        return (client, server);
    }

    /// <summary>One connection on a fresh listener, authenticated at both ends (no resumption).</summary>
    public async Task<(Stream Client, Stream Server)> ConnectAuthenticatedAsync(Contender contender, CancellationToken cancellationToken)
    {
        using var listener = Listen();
        var (clientSocket, serverSocket) = await ConnectPairAsync(listener).ConfigureAwait(false);
        listener.Stop();
        var serverTask = AuthenticateServerAsync(contender, serverSocket, resumption: false, cancellationToken);
        var client = await AuthenticateClientAsync(contender, clientSocket, resumption: false, null, cancellationToken).ConfigureAwait(false);
        return (client, await serverTask.ConfigureAwait(false));
    }

    /// <summary>Accepts connections until <paramref name="stop"/> is cancelled, handing each socket (NoDelay) to <paramref name="serve"/> on the thread pool.</summary>
    public static Task AcceptEachAsync(TcpListener listener, Func<Socket, Task> serve, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            socket.NoDelay = true;
            _ = Task.Run(() => serve(socket), CancellationToken.None);
        }
    }, CancellationToken.None);

    public async Task<Stream> AuthenticateServerAsync(Contender contender, Socket socket, bool resumption, CancellationToken cancellationToken)
    {
        var inner = new NetworkStream(socket, ownsSocket: true);
        switch (contender)
        {
            case Contender.SecureStream:
                var secure = new SecureStream(inner);
                await secure.AuthenticateAsServerAsync(ServerOptions(resumption), cancellationToken).ConfigureAwait(false);
                return secure;
            case Contender.SslStream:
                var ssl = new SslStream(inner);
                await ssl.AuthenticateAsServerAsync(SslServerOptions(resumption), cancellationToken).ConfigureAwait(false);
                return ssl;
            default:
                return inner;
        }
    }

    /// <param name="ticketCache">SecureStream only: where this client keeps its resumption ticket (null: no resumption).</param>
    public async Task<Stream> AuthenticateClientAsync(Contender contender, Socket socket, bool resumption, SessionTicketCache? ticketCache, CancellationToken cancellationToken)
    {
        var inner = new NetworkStream(socket, ownsSocket: true);
        switch (contender)
        {
            case Contender.SecureStream:
                var secure = new SecureStream(inner);
                await secure.AuthenticateAsClientAsync(ClientOptions(resumption ? ticketCache : null), cancellationToken).ConfigureAwait(false);
                return secure;
            case Contender.SslStream:
                var ssl = new SslStream(inner);
                await ssl.AuthenticateAsClientAsync(SslClientOptions(resumption), cancellationToken).ConfigureAwait(false);
                return ssl;
            default:
                return inner;
        }
    }

    public SecureServerOptions ServerOptions(bool resumption) => resumption
        ? _resumingServerOptions ??= NewServerOptions(true)
        : _serverOptions ??= NewServerOptions(false);

    private SecureServerOptions NewServerOptions(bool resumption) => new()
    {
        ServerCredential = Server.ServerCredential,
        CipherSuites = [CipherSuite.Aes256Gcm],
        SessionTickets = resumption ? _tickets : null,
    };

    public SecureClientOptions ClientOptions(SessionTicketCache? ticketCache) => new()
    {
        ServerVerifier = _caVerifier,
        ServerName = BenchCertificates.ServerName,
        CipherSuites = [CipherSuite.Aes256Gcm],
        SessionCache = ticketCache,
    };

    public void Dispose() => _tickets.Dispose();

    private BenchCertificates Server => _server ?? throw new InvalidOperationException("No server certificate here.");

    private SslServerAuthenticationOptions SslServerOptions(bool resumption) => new()
    {
        ServerCertificateContext = _sslContext ?? throw new InvalidOperationException("No server certificate here."),
        EnabledSslProtocols = SslProtocols.Tls13,
        CipherSuitesPolicy = _tlsSuites,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        AllowTlsResume = resumption,
    };

    private SslClientAuthenticationOptions SslClientOptions(bool resumption)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(_root);
        return new SslClientAuthenticationOptions
        {
            TargetHost = BenchCertificates.ServerName,
            EnabledSslProtocols = SslProtocols.Tls13,
            CipherSuitesPolicy = _tlsSuites,
            CertificateChainPolicy = policy,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowTlsResume = resumption,
        };
    }
}
