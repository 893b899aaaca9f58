using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Chat.Server;
using SafeWire.Files.Ftp;
using SafeWire.Files.Transfer;
using SafeWire.Identity;
using SafeWire.KeyDistribution;
using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Peer;
using SafeWire.KeyDistribution.Wire;
using SafeWire.Transport;

namespace SafeWire.Soak;

/// <summary>One server under soak: what a legitimate client does, and what a flooding one tries.</summary>
internal interface ISoakTarget : IAsyncDisposable
{
    string Name { get; }

    /// <summary>What one legitimate operation is, for the table.</summary>
    string Operation { get; }

    int Port { get; }

    /// <summary>The server's admission state (drops and refusals).</summary>
    ConnectionAdmission Admission { get; }

    /// <summary>What the half of the stalled sockets that say something send before stalling.</summary>
    ReadOnlyMemory<byte> StallPrefix { get; }

    Task LegitAsync(CancellationToken cancellationToken);

    /// <summary>One login on <paramref name="socket"/> (connected from a flooding address) that the server must refuse; true if it accepted it.</summary>
    Task<bool> BadLoginAsync(Socket socket, CancellationToken cancellationToken);
}

/// <summary>Credentials shared by the SafeWire servers: a home CA with a server and "alice", and a foreign CA's "mallory".</summary>
internal sealed class Pki : IDisposable
{
    public Pki(string directory)
    {
        Home = new SafeWireHome(Path.Combine(directory, "home"));
        var foreign = new SafeWireHome(Path.Combine(directory, "foreign"));
        Server = Home.LoadOrCreateServerCredential("soak", ["localhost"], [IPAddress.Loopback]);
        Alice = Home.LoadOrCreateClientCredential("alice");
        Mallory = foreign.LoadOrCreateClientCredential("alice");
        Ca = Home.CreateCaVerifier();
        Allowed = new AllowList();
        Allowed.Add(new AllowListEntry(Alice.Fingerprint, "alice"));
    }

    public SafeWireHome Home { get; }

    public LocalCredential Server { get; }

    public LocalCredential Alice { get; }

    /// <summary>Same name, certificate from another CA: every server must refuse it.</summary>
    public LocalCredential Mallory { get; }

    public CaVerifier Ca { get; }

    public AllowList Allowed { get; }

    public SecureClientOptions Client(LocalCredential credential) => new()
    {
        ServerVerifier = Ca,
        ServerName = "localhost",
        ClientCredential = credential,
    };

    /// <summary>The client handshake as mallory (another CA's certificate) on a socket the flood connected.</summary>
    public Task<SecureStream> MalloryHandshakeAsync(Socket socket, CancellationToken cancellationToken) =>
        SecureConnector.AuthenticateAsClientAsync(new NetworkStream(socket, ownsSocket: false), Client(Mallory), leaveInnerStreamOpen: false, cancellationToken);

    /// <summary>True when the server sends data or keeps the connection open 5 s after the handshake; false when it refuses.</summary>
    public static async Task<bool> KeptOpenAsync(SecureStream stream, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            return await stream.ReadAsync(new byte[1], patience.Token).ConfigureAwait(false) > 0;
        }
        catch (Exception e) when (e is SecureChannelException or IOException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }

    public void Dispose()
    {
        Server.Dispose();
        Alice.Dispose();
        Mallory.Dispose();
    }
}

/// <summary><c>files serve</c>'s host; a legitimate operation is connect + handshake + list.</summary>
internal sealed class FilesTarget(Pki pki, FileServerHost host) : ISoakTarget
{
    private static readonly byte[] s_recordHeader = [22, 0x57, 0x01];

    public string Name => "files";

    public string Operation => "connect, handshake, ls";

    public int Port => host.EndPoint.Port;

    public ConnectionAdmission Admission => host.Admission;

    public ReadOnlyMemory<byte> StallPrefix => s_recordHeader;

    public static FilesTarget Start(Pki pki, string root)
    {
        var host = new FileServerHost(new FileServerOptions { Root = root }, new SecureServerOptions
        {
            ServerCredential = pki.Server,
            ClientVerifier = new AllowListVerifier(pki.Allowed),
            RequireClientCredential = true,
        }, new IPEndPoint(IPAddress.Loopback, 0));
        host.Start();
        return new FilesTarget(pki, host);
    }

    public async Task LegitAsync(CancellationToken cancellationToken)
    {
        await using var client = await FileServerHost.ConnectAsync("127.0.0.1", Port, pki.Client(pki.Alice), cancellationToken).ConfigureAwait(false);
        var entries = await client.ListAsync("/", cancellationToken).ConfigureAwait(false);
        if (!entries.Any(e => e.Name == "here.txt"))
        {
            throw new InvalidDataException("the listing lacks here.txt");
        }
    }

    public async Task<bool> BadLoginAsync(Socket socket, CancellationToken cancellationToken)
    {
        await using var client = new FileClient(await pki.MalloryHandshakeAsync(socket, cancellationToken).ConfigureAwait(false));
        await client.ListAsync("/", cancellationToken).ConfigureAwait(false);
        return true;
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();
}

/// <summary><c>km serve</c>'s listener and key manager; a legitimate operation is connect + handshake + hello + end.</summary>
internal sealed class KmTarget(Pki pki, SecureListener listener, CancellationTokenSource stop, Task serving) : ISoakTarget
{
    private static readonly byte[] s_recordHeader = [22, 0x57, 0x01];

    public string Name => "km";

    public string Operation => "connect, handshake, hello, end";

    public int Port => listener.LocalEndPoint.Port;

    public ConnectionAdmission Admission => listener.Admission;

    public ReadOnlyMemory<byte> StallPrefix => s_recordHeader;

    public static KmTarget Start(Pki pki)
    {
        var listener = SecureKdChannels.CreateKeyManagerListener(new IPEndPoint(IPAddress.Loopback, 0), pki.Server, pki.Ca);
        listener.Start();
        var km = new KeyManagerServer(new KeyManagerOptions { Log = new QuietLog() });
        var stop = new CancellationTokenSource();
        var serving = km.ServeAsync(ct => SecureKdChannels.AcceptKeyManagerClientAsync(listener, ct), stop.Token);
        return new KmTarget(pki, listener, stop, serving);
    }

    public async Task LegitAsync(CancellationToken cancellationToken)
    {
        var channel = await new SecureKdChannels(pki.Alice, pki.Ca).ConnectKeyManagerAsync("127.0.0.1", Port, cancellationToken).ConfigureAwait(false);
        await using var client = new KeyManagerClient(channel);
        await client.HelloAsync("", cancellationToken).ConfigureAwait(false);
        await client.EndAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> BadLoginAsync(Socket socket, CancellationToken cancellationToken)
    {
        // The client's side of the handshake ends before the server has checked the client: the key manager requires a certificate from its CA, so it must then refuse.
        await using var stream = await pki.MalloryHandshakeAsync(socket, cancellationToken).ConfigureAwait(false);
        return await Pki.KeptOpenAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await listener.DisposeAsync().ConfigureAwait(false);
        try
        {
            await serving.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }

    private sealed class QuietLog : IKeyManagerLog
    {
        public void SessionOpened(uint sessionId, string name, string fingerprint, IPAddress? address)
        {
        }

        public void SessionClosed(uint sessionId, string name, string reason)
        {
        }

        public void Pairing(TransferRecord transfer)
        {
        }

        public void Verdict(TransferRecord transfer, VerdictMessage verdict)
        {
        }

        public void Refusal(uint sessionId, string name, RefusalReason reason, string message)
        {
        }
    }
}

/// <summary><c>serve</c> (chat) with an allow-list; a legitimate operation is connect + handshake + welcome + one message acknowledged.</summary>
internal sealed class ChatTarget(Pki pki, ChatServer server) : ISoakTarget
{
    private static readonly byte[] s_recordHeader = [22, 0x57, 0x01];
    private int _next;

    public string Name => "chat";

    public string Operation => "connect, handshake, join, send 1 message";

    public int Port => server.Port;

    public ConnectionAdmission Admission => server.Admission;

    public ReadOnlyMemory<byte> StallPrefix => s_recordHeader;

    public static ChatTarget Start(Pki pki)
    {
        var server = new ChatServer(new ChatServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            Authenticator = new SecureStreamAuthenticator(
                new SecureServerOptions { ServerCredential = pki.Server, ClientVerifier = new AllowListVerifier(pki.Allowed), RequireClientCredential = true, HandshakeTimeout = ChatServerOptions.DefaultHandshakeTimeout },
                client: null),
        });
        server.Start();
        return new ChatTarget(pki, server);
    }

    public async Task<bool> BadLoginAsync(Socket socket, CancellationToken cancellationToken)
    {
        // The client's side of the handshake ends before the server has checked the client: the server's allow-list lacks mallory's key, so it must then refuse.
        await using var stream = await pki.MalloryHandshakeAsync(socket, cancellationToken).ConfigureAwait(false);
        return await Pki.KeptOpenAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();

    public async Task LegitAsync(CancellationToken cancellationToken)
    {
        var client = await ChatClient.ConnectAsync("127.0.0.1", Port, new ChatClientOptions
        {
            Name = "alice" + Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Authenticator = new SecureStreamAuthenticator(server: null, pki.Client(pki.Alice)),
        }, cancellationToken).ConfigureAwait(false);
        var run = client.RunAsync(cancellationToken);
        try
        {
            await client.SendAsync("soak", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await client.DisposeAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
        }
    }
}

/// <summary><c>ftp serve</c> with explicit TLS and a user file (PBKDF2 at its default cost); a legitimate operation is connect + AUTH TLS + USER/PASS + QUIT.</summary>
internal sealed class FtpTarget(FtpServer server, X509Certificate2 certificate) : ISoakTarget
{
    private const string User = "alice";
    private const string Password = "soak-test-password";

    public string Name => "ftp";

    public string Operation => "connect, AUTH TLS, USER/PASS, QUIT";

    public int Port => server.ExplicitEndPoint!.Port;

    public ConnectionAdmission Admission => server.Admission;

    public ReadOnlyMemory<byte> StallPrefix => "USER al"u8.ToArray();

    public static FtpTarget Start(string directory, string root)
    {
        var users = Path.Combine(directory, "ftp-users.txt");
        FtpUserStore.AddOrReplace(users, User, Password, readOnly: true);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var server = new FtpServer(new FtpServerOptions
        {
            Root = root,
            Port = 0,
            Certificate = certificate,
            Users = FtpUserStore.Load(users),
        });
        server.Start();
        return new FtpTarget(server, certificate);
    }

    public async Task LegitAsync(CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Port, cancellationToken).ConfigureAwait(false);
        if (!await LoginAsync(tcp.GetStream(), Password, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidDataException("the real password was refused");
        }
    }

    public Task<bool> BadLoginAsync(Socket socket, CancellationToken cancellationToken) => LoginAsync(new NetworkStream(socket, ownsSocket: false), "guess-" + RandomNumberGenerator.GetHexString(8), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync().ConfigureAwait(false);
        certificate.Dispose();
    }

    private async Task<bool> LoginAsync(Stream plain, string password, CancellationToken cancellationToken)
    {
        Expect(await ReadReplyAsync(plain, cancellationToken).ConfigureAwait(false), "220");
        await plain.WriteAsync("AUTH TLS\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        Expect(await ReadReplyAsync(plain, cancellationToken).ConfigureAwait(false), "234");
        var expected = certificate.GetCertHash(HashAlgorithmName.SHA256);
        await using var tls = new SslStream(plain, leaveInnerStreamOpen: false, (_, cert, _, _) => cert is not null && cert.GetCertHash(HashAlgorithmName.SHA256).AsSpan().SequenceEqual(expected));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = SslProtocols.Tls12 }, cancellationToken).ConfigureAwait(false);
        await tls.WriteAsync(Encoding.ASCII.GetBytes("USER " + User + "\r\n"), cancellationToken).ConfigureAwait(false);
        Expect(await ReadReplyAsync(tls, cancellationToken).ConfigureAwait(false), "331");
        await tls.WriteAsync(Encoding.ASCII.GetBytes("PASS " + password + "\r\n"), cancellationToken).ConfigureAwait(false);
        var reply = await ReadReplyAsync(tls, cancellationToken).ConfigureAwait(false);
        await tls.WriteAsync("QUIT\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        return reply.StartsWith("230 ", StringComparison.Ordinal);
    }

    private static void Expect(string reply, string code)
    {
        if (!reply.StartsWith(code + " ", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"expected {code}, got: {reply}");
        }
    }

    /// <summary>Reads one reply byte by byte (so nothing past it is consumed before AUTH TLS); multi-line replies end at "ddd ".</summary>
    private static async Task<string> ReadReplyAsync(Stream stream, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        while (true)
        {
            var line = new StringBuilder();
            while (true)
            {
                if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
                {
                    throw new EndOfStreamException("the server closed the connection: " + line);
                }

                if (one[0] == '\n')
                {
                    break;
                }

                if (one[0] != '\r')
                {
                    line.Append((char)one[0]);
                }
            }

            var text = line.ToString();
            if (text.Length >= 4 && char.IsAsciiDigit(text[0]) && text[3] == ' ')
            {
                return text;
            }
        }
    }
}
