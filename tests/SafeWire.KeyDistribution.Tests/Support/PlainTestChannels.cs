using System.Net;
using System.Net.Sockets;
using System.Text;
using SafeWire.Identity;

namespace SafeWire.KeyDistribution.Tests.Support;

/// <summary>
/// Test-only channels over plain TCP: each side simply states its identity (name and fingerprint) in a
/// preamble, nothing is encrypted. It lets the key-distribution logic be tested with identities passed in;
/// the CLI uses SafeWire channels.
/// </summary>
internal sealed class PlainTestChannels(PeerIdentity me) : IKdChannels
{
    public PeerIdentity Me { get; } = me;

    public async Task<AuthenticatedChannel> ConnectKeyManagerAsync(string host, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(host, port, cancellationToken);
        return await ExchangeAsync(socket, Me, expectedFingerprint: null, cancellationToken);
    }

    public Task<AuthenticatedChannel> SecurePeerAsClientAsync(Socket socket, string expectedFingerprint, CancellationToken cancellationToken) =>
        ExchangeAsync(socket, Me, expectedFingerprint, cancellationToken, ownsSocket: false);

    public Task<AuthenticatedChannel> SecurePeerAsServerAsync(Socket socket, string expectedFingerprint, CancellationToken cancellationToken) =>
        ExchangeAsync(socket, Me, expectedFingerprint, cancellationToken, ownsSocket: false);

    /// <summary>The key manager's side: reads the client's stated identity.</summary>
    public static Task<AuthenticatedChannel> AcceptAsync(Socket socket, PeerIdentity server, CancellationToken cancellationToken) =>
        ExchangeAsync(socket, server, expectedFingerprint: null, cancellationToken);

    private static async Task<AuthenticatedChannel> ExchangeAsync(Socket socket, PeerIdentity me, string? expectedFingerprint, CancellationToken cancellationToken, bool ownsSocket = true)
    {
        var stream = new NetworkStream(socket, ownsSocket);
        var line = Encoding.UTF8.GetBytes(me.Name + "\n" + me.Fingerprint + "\n");
        await stream.WriteAsync(line, cancellationToken);
        var name = await ReadLineAsync(stream, cancellationToken);
        var fingerprint = await ReadLineAsync(stream, cancellationToken);
        if (expectedFingerprint is not null && fingerprint != expectedFingerprint)
        {
            await stream.DisposeAsync();
            throw new IOException($"Peer key {fingerprint} is not the introduced {expectedFingerprint}.");
        }

        return new AuthenticatedChannel(stream, new PeerIdentity(name, fingerprint, [], null),
            (socket.RemoteEndPoint as IPEndPoint)?.Address, (socket.LocalEndPoint as IPEndPoint)?.Address);
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 512)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("closed during the identity preamble");
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString([.. bytes]);
            }

            bytes.Add(one[0]);
        }

        throw new IOException("identity preamble too long");
    }
}
