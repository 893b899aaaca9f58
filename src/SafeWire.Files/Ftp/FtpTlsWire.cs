using System.Security.Cryptography;
using SafeWire.Transport;

namespace SafeWire.Files.Ftp;

/// <summary>
/// What the plaintext part of one TLS handshake showed, read off the wire by <see cref="FtpTlsWire"/>: the
/// ClientHello's session id and session ticket, the ServerHello's session id and whether it accepted a pre-shared
/// key (TLS 1.3), and the TLS 1.2 session tickets the server issued. .NET's SslStream does not say whether a
/// handshake resumed a session, nor which one; the server's own ServerHello does.
/// </summary>
internal sealed class FtpTlsHandshakeFacts
{
    private const int MaxHandshakeBytes = 64 * 1024;

    private readonly List<byte> _clientHandshake = [];
    private readonly List<byte> _serverHandshake = [];
    private int _serverParsed;

    /// <summary>The ClientHello's legacy session id (empty when none or not seen).</summary>
    public byte[] ClientSessionId { get; private set; } = [];

    /// <summary>The ClientHello's SessionTicket extension (RFC 5077), empty when absent or empty.</summary>
    public byte[] ClientTicket { get; private set; } = [];

    /// <summary>Whether a ServerHello was seen.</summary>
    public bool ServerHelloSeen { get; private set; }

    /// <summary>The ServerHello's session id.</summary>
    public byte[] ServerSessionId { get; private set; } = [];

    /// <summary>Whether the ServerHello negotiated TLS 1.3 (supported_versions extension).</summary>
    public bool Tls13 { get; private set; }

    /// <summary>Whether the TLS 1.3 ServerHello accepted one of the client's pre-shared keys (a resumption).</summary>
    public bool Tls13PreSharedKeyAccepted { get; private set; }

    /// <summary>SHA-256 of every TLS 1.2 NewSessionTicket the server sent (they travel before ChangeCipherSpec, in the clear).</summary>
    public List<byte[]> IssuedTicketHashes { get; } = [];

    /// <summary>
    /// Whether this handshake resumed an earlier session: TLS 1.2 when the server echoed the client's non-empty session
    /// id (RFC 5246 §7.4.1.3, RFC 5077 §3.4), TLS 1.3 when it accepted a pre-shared key (RFC 8446 §4.2.11).
    /// </summary>
    public bool Resumed => ServerHelloSeen && (Tls13
        ? Tls13PreSharedKeyAccepted
        : ClientSessionId.Length > 0 && ClientSessionId.AsSpan().SequenceEqual(ServerSessionId));

    /// <summary>SHA-256 of the ticket the client offered, or null.</summary>
    public byte[]? ClientTicketHash => ClientTicket.Length == 0 ? null : SHA256.HashData(ClientTicket);

    internal bool ObservingClient { get; private set; } = true;

    internal bool ObservingServer { get; private set; } = true;

    /// <summary>Bytes the client sent: records are followed until the ClientHello is complete.</summary>
    internal void Client(ReadOnlySpan<byte> handshakeBytes)
    {
        if (_clientHandshake.Count + handshakeBytes.Length > MaxHandshakeBytes)
        {
            ObservingClient = false;
            return;
        }

        _clientHandshake.AddRange(handshakeBytes);
        var buffer = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_clientHandshake);
        if (buffer.Length < 4)
        {
            return;
        }

        var length = (buffer[1] << 16) | (buffer[2] << 8) | buffer[3];
        if (buffer.Length < 4 + length)
        {
            return;
        }

        ObservingClient = false;
        if (buffer[0] == 1)
        {
            ParseClientHello(buffer.Slice(4, length));
        }
    }

    /// <summary>Bytes of handshake records the server sent in the clear.</summary>
    internal void Server(ReadOnlySpan<byte> handshakeBytes)
    {
        if (_serverHandshake.Count + handshakeBytes.Length > MaxHandshakeBytes)
        {
            ObservingServer = false;
            return;
        }

        _serverHandshake.AddRange(handshakeBytes);
        var buffer = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_serverHandshake);
        while (buffer.Length - _serverParsed >= 4)
        {
            var message = buffer[_serverParsed..];
            var length = (message[1] << 16) | (message[2] << 8) | message[3];
            if (message.Length < 4 + length)
            {
                return;
            }

            var body = message.Slice(4, length);
            switch (message[0])
            {
                case 2:
                    ParseServerHello(body);
                    break;
                case 4 when body.Length >= 6:
                    // TLS 1.2 NewSessionTicket: u32 lifetime hint, u16 length, ticket.
                    var ticketLength = (body[4] << 8) | body[5];
                    if (ticketLength > 0 && body.Length >= 6 + ticketLength)
                    {
                        IssuedTicketHashes.Add(SHA256.HashData(body.Slice(6, ticketLength)));
                    }

                    break;
            }

            _serverParsed += 4 + length;
        }
    }

    /// <summary>The server sent ChangeCipherSpec or encrypted records: the rest of its flight is not readable.</summary>
    internal void ServerEncrypted() => ObservingServer = false;

    private void ParseClientHello(ReadOnlySpan<byte> body)
    {
        var reader = new HelloReader(body);
        if (!reader.Skip(2 + 32) || !reader.Vector8(out var sessionId) || !reader.Vector16(out _) || !reader.Vector8(out _))
        {
            return;
        }

        ClientSessionId = sessionId.ToArray();
        if (!reader.Vector16(out var extensions))
        {
            return;
        }

        var list = new HelloReader(extensions);
        while (list.Extension(out var type, out var data))
        {
            if (type == 35)
            {
                ClientTicket = data.ToArray();
            }
        }
    }

    private void ParseServerHello(ReadOnlySpan<byte> body)
    {
        var reader = new HelloReader(body);
        if (!reader.Skip(2 + 32) || !reader.Vector8(out var sessionId) || !reader.Skip(2 + 1))
        {
            return;
        }

        ServerHelloSeen = true;
        ServerSessionId = sessionId.ToArray();
        if (!reader.Vector16(out var extensions))
        {
            return;
        }

        var list = new HelloReader(extensions);
        while (list.Extension(out var type, out var data))
        {
            if (type == 43 && data.Length == 2 && data[0] == 3 && data[1] == 4)
            {
                Tls13 = true;
            }
            else if (type == 41)
            {
                Tls13PreSharedKeyAccepted = true;
            }
        }
    }

    /// <summary>Bounds-checked reads over a hello message; every failure just stops the parse.</summary>
    private ref struct HelloReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public bool Skip(int count)
        {
            if (_rest.Length < count)
            {
                return false;
            }

            _rest = _rest[count..];
            return true;
        }

        public bool Vector8(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (_rest.Length < 1 || _rest.Length < 1 + _rest[0])
            {
                return false;
            }

            value = _rest.Slice(1, _rest[0]);
            _rest = _rest[(1 + value.Length)..];
            return true;
        }

        public bool Vector16(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (_rest.Length < 2)
            {
                return false;
            }

            var length = (_rest[0] << 8) | _rest[1];
            if (_rest.Length < 2 + length)
            {
                return false;
            }

            value = _rest.Slice(2, length);
            _rest = _rest[(2 + length)..];
            return true;
        }

        public bool Extension(out int type, out ReadOnlySpan<byte> data)
        {
            type = 0;
            data = default;
            if (_rest.Length < 2)
            {
                return false;
            }

            type = (_rest[0] << 8) | _rest[1];
            _rest = _rest[2..];
            return Vector16(out data);
        }
    }
}

/// <summary>
/// A thin stream between an <see cref="System.Net.Security.SslStream"/> and the socket: it passes every byte through
/// unchanged, reads the plaintext handshake on the way (<see cref="Facts"/>), and notes whether the transport itself
/// ended (a FIN with no close_notify before it: SslStream reports both as the end of the stream).
/// </summary>
internal sealed class FtpTlsWire(Stream inner) : WrappingStream(inner)
{
    private readonly RecordTracker _fromClient = new();
    private readonly RecordTracker _fromServer = new();

    /// <summary>What the handshake showed.</summary>
    public FtpTlsHandshakeFacts Facts { get; } = new();

    /// <summary>Whether a read from the transport returned end-of-stream.</summary>
    public bool TransportEnded { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Received(buffer.Span[..read], buffer.Length);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = Inner.Read(buffer, offset, count);
        Received(buffer.AsSpan(offset, read), count);
        return read;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Observe(buffer.Span, fromServer: true);
        return Inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Observe(buffer.AsSpan(offset, count), fromServer: true);
        Inner.Write(buffer, offset, count);
    }

    private void Received(ReadOnlySpan<byte> bytes, int requested)
    {
        // SslStream also issues zero-byte reads (to wait for data without holding a buffer): those end nothing.
        if (bytes.IsEmpty && requested > 0)
        {
            TransportEnded = true;
        }

        Observe(bytes, fromServer: false);
    }

    private void Observe(ReadOnlySpan<byte> bytes, bool fromServer)
    {
        if (fromServer ? Facts.ObservingServer : Facts.ObservingClient)
        {
            (fromServer ? _fromServer : _fromClient).Feed(bytes, Facts, fromServer);
        }
    }

    /// <summary>Splits a byte stream into TLS records (5-byte header) and hands handshake payloads on.</summary>
    private sealed class RecordTracker
    {
        private readonly byte[] _header = new byte[5];
        private int _headerFilled;
        private int _payloadLeft;
        private byte _type;

        public void Feed(ReadOnlySpan<byte> bytes, FtpTlsHandshakeFacts facts, bool fromServer)
        {
            while (!bytes.IsEmpty && (fromServer ? facts.ObservingServer : facts.ObservingClient))
            {
                if (_payloadLeft == 0)
                {
                    var take = Math.Min(5 - _headerFilled, bytes.Length);
                    bytes[..take].CopyTo(_header.AsSpan(_headerFilled));
                    _headerFilled += take;
                    bytes = bytes[take..];
                    if (_headerFilled < 5)
                    {
                        return;
                    }

                    _headerFilled = 0;
                    _type = _header[0];
                    _payloadLeft = (_header[3] << 8) | _header[4];
                    if (fromServer && _type is 20 or 23)
                    {
                        facts.ServerEncrypted();
                        return;
                    }

                    continue;
                }

                var chunk = bytes[..Math.Min(_payloadLeft, bytes.Length)];
                _payloadLeft -= chunk.Length;
                bytes = bytes[chunk.Length..];
                if (_type == 22)
                {
                    if (fromServer)
                    {
                        facts.Server(chunk);
                    }
                    else
                    {
                        facts.Client(chunk);
                    }
                }
            }
        }
    }
}
