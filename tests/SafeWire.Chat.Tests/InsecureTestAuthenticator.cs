using System.Security.Cryptography;
using System.Text;
using SafeWire.Chat.Channels;
using SafeWire.Identity;

namespace SafeWire.Chat.Tests;

/// <summary>
/// TEST ONLY, NO SECURITY: each side sends its name and a random nonce in clear; the "exporter" is an HMAC over
/// both nonces. Lets the application logic be tested without the secure channel (the SecureStream tests cover that).
/// </summary>
internal sealed class InsecureTestAuthenticator(string name) : IChannelAuthenticator
{
    public async Task<IChatChannel> AuthenticateAsServerAsync(Stream transport, CancellationToken cancellationToken) =>
        await ExchangeAsync(transport, isServer: true, cancellationToken);

    public async Task<IChatChannel> AuthenticateAsClientAsync(Stream transport, string serverName, CancellationToken cancellationToken) =>
        await ExchangeAsync(transport, isServer: false, cancellationToken);

    private async Task<IChatChannel> ExchangeAsync(Stream transport, bool isServer, CancellationToken ct)
    {
        var mine = new byte[33 + Encoding.UTF8.GetByteCount(name)];
        mine[0] = (byte)(mine.Length - 33);
        RandomNumberGenerator.Fill(mine.AsSpan(1, 32));
        Encoding.UTF8.GetBytes(name, mine.AsSpan(33));
        await transport.WriteAsync(mine, ct);
        var head = new byte[33];
        await transport.ReadExactlyAsync(head, ct);
        if (head[0] == 0xFF)
        {
            throw new IOException("test handshake: garbage");
        }

        var peerName = new byte[head[0]];
        await transport.ReadExactlyAsync(peerName, ct);
        var secret = isServer ? [.. head[1..], .. mine[1..33]] : mine[1..33].Concat(head[1..]).ToArray();
        var peer = Encoding.UTF8.GetString(peerName);
        return new Channel(transport, new PeerIdentity(peer, "SHA256:test-" + peer, [], null), secret);
    }

    private sealed class Channel(Stream stream, PeerIdentity remote, byte[] secret) : IChatChannel
    {
        public Stream Stream => stream;

        public PeerIdentity? RemoteIdentity => remote;

        public string CipherSuite => "NONE (test)";

        public void ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> destination)
        {
            byte[] input = [.. Encoding.UTF8.GetBytes(label), .. context];
            HMACSHA256.HashData(secret, input).AsSpan(0, destination.Length).CopyTo(destination);
        }

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
