using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Tests.Support;

/// <summary>Builds connected SecureStream pairs over an in-memory duplex pipe (or loopback TCP where sockets matter).</summary>
internal static class Channels
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);

    public static LocalCredential NewRawKey() => LocalCredential.FromRawKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public static SecureServerOptions ServerOptions(LocalCredential credential) => new() { ServerCredential = credential };

    /// <summary>Client that pins exactly the server's key.</summary>
    public static SecureClientOptions ClientPinning(LocalCredential server) => new()
    {
        ServerVerifier = new TestPinnedVerifier([server.Fingerprint], TrustFailureReason.HostKeyChanged),
    };

    public static async Task<(SecureStream Client, SecureStream Server)> ConnectAsync(SecureClientOptions clientOptions, SecureServerOptions serverOptions)
    {
        var (c, s) = DuplexPipeStream.CreatePair();
        var client = new SecureStream(c);
        var server = new SecureStream(s);
        var clientTask = client.AuthenticateAsClientAsync(clientOptions);
        var serverTask = server.AuthenticateAsServerAsync(serverOptions);
        await Task.WhenAll(clientTask, serverTask).WaitAsync(TestTimeout);
        return (client, server);
    }

    /// <summary>The same over a loopback TCP connection (NetworkStream on both ends).</summary>
    public static async Task<(SecureStream Client, SecureStream Server)> ConnectTcpAsync(SecureClientOptions clientOptions, SecureServerOptions serverOptions)
    {
        var (client, server, _) = await ConnectTcpWithServerSocketAsync(clientOptions, serverOptions);
        return (client, server);
    }

    /// <summary>As <see cref="ConnectTcpAsync"/>, plus the server's socket (tests watch what it has buffered).</summary>
    public static async Task<(SecureStream Client, SecureStream Server, Socket ServerSocket)> ConnectTcpWithServerSocketAsync(SecureClientOptions clientOptions, SecureServerOptions serverOptions)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = listener.AcceptSocketAsync();
        var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await clientSocket.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        var serverSocket = await accept.WaitAsync(TestTimeout);
        var client = new SecureStream(new NetworkStream(clientSocket, ownsSocket: true));
        var server = new SecureStream(new NetworkStream(serverSocket, ownsSocket: true));
        await Task.WhenAll(client.AuthenticateAsClientAsync(clientOptions), server.AuthenticateAsServerAsync(serverOptions)).WaitAsync(TestTimeout);
        return (client, server, serverSocket);
    }

    /// <summary>Runs both handshakes and returns each side's failure (null if that side succeeded).</summary>
    public static async Task<(Exception? Client, Exception? Server)> HandshakeFailuresAsync(SecureClientOptions clientOptions, SecureServerOptions serverOptions)
    {
        var (c, s) = DuplexPipeStream.CreatePair();
        await using var client = new SecureStream(c);
        await using var server = new SecureStream(s);
        var clientTask = Capture(client.AuthenticateAsClientAsync(clientOptions));
        var serverTask = Capture(server.AuthenticateAsServerAsync(serverOptions));
        var results = await Task.WhenAll(clientTask, serverTask).WaitAsync(TestTimeout);
        return (results[0], results[1]);
    }

    public static async Task<Exception?> Capture(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
