using System.Text;

namespace SafeWire.Protocol.Messages;

/// <summary>Handshake message types (the first byte of each handshake message).</summary>
internal enum HandshakeType : byte
{
    ClientHello = 1,
    ServerHello = 2,
    NewSessionTicket = 4,
    Certificate = 11,
    CertificateRequest = 13,
    CertificateVerify = 15,
    Finished = 20,
    KeyUpdate = 24,
}

/// <summary>Signature schemes for CertificateVerify (TLS 1.3's code points).</summary>
internal enum SignatureScheme : ushort
{
    EcdsaSecp256r1Sha256 = 0x0403,
    RsaPssRsaeSha256 = 0x0804,
}

/// <summary>The framing shared by all handshake messages: type (1) | length (3) | body.</summary>
internal static class HandshakeFraming
{
    public const int HeaderLength = 4;

    public static byte[] Frame(HandshakeType type, WireWriter body)
    {
        var message = new byte[HeaderLength + body.Length];
        message[0] = (byte)type;
        message[1] = unchecked((byte)(body.Length >> 16));
        message[2] = unchecked((byte)(body.Length >> 8));
        message[3] = unchecked((byte)body.Length);
        body.Written.CopyTo(message.AsSpan(HeaderLength));
        return message;
    }
}

/// <summary>
/// <code>
/// struct {
///     uint16 version;                     // 0x5701
///     opaque random[32];
///     uint16 cipher_suites&lt;2..32&gt;;         // u8 count, then u16 codes in preference order
///     opaque key_share&lt;65&gt;;               // u8 length (65) + uncompressed P-256 point
///     opaque server_name&lt;0..255&gt;;         // u8 length + UTF-8, empty = none
///     opaque ticket&lt;0..1024&gt;;             // u16 length, empty = no resumption offered
/// } ClientHello;
/// </code>
/// </summary>
internal sealed record ClientHello(ushort Version, byte[] Random, ushort[] CipherSuites, byte[] KeyShare, string? ServerName, byte[] Ticket)
{
    public const int MaxSuites = 16;
    public const int MaxTicket = 1024;

    public byte[] Encode()
    {
        var w = new WireWriter();
        w.WriteUInt16(Version);
        w.WriteBytes(Random);
        w.WriteUInt8(CipherSuites.Length);
        foreach (var s in CipherSuites)
        {
            w.WriteUInt16(s);
        }

        w.WriteVector8(KeyShare);
        w.WriteVector8(ServerName is null ? [] : Encoding.UTF8.GetBytes(ServerName));
        w.WriteVector16(Ticket);
        return HandshakeFraming.Frame(HandshakeType.ClientHello, w);
    }

    /// <summary>Decodes the fields; the version is returned as sent so the caller can answer protocol_version.</summary>
    public static ClientHello Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body, "ClientHello");
        ushort version = r.ReadUInt16();
        var random = r.ReadBytes(ProtocolConstants.RandomLength).ToArray();
        int count = r.ReadUInt8();
        if (count is 0 or > MaxSuites)
        {
            throw ProtocolException.Decode("ClientHello (cipher suite count)");
        }

        var suites = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            suites[i] = r.ReadUInt16();
        }

        var share = r.ReadVector8().ToArray();
        var nameBytes = r.ReadVector8();
        var ticket = r.ReadVector16();
        if (ticket.Length > MaxTicket)
        {
            throw ProtocolException.Decode("ClientHello (ticket too long)");
        }

        r.EnsureEnd();
        string? name = null;
        if (!nameBytes.IsEmpty)
        {
            try
            {
                name = new UTF8Encoding(false, true).GetString(nameBytes);
            }
            catch (DecoderFallbackException)
            {
                throw ProtocolException.Decode("ClientHello (server name is not UTF-8)");
            }
        }

        return new ClientHello(version, random, suites, share, name, ticket.ToArray());
    }
}

/// <summary>
/// <code>
/// struct {
///     uint16 version;                     // 0x5701
///     opaque random[32];
///     uint16 cipher_suite;
///     opaque session_id[16];
///     opaque key_share&lt;65&gt;;               // u8 length (65) + uncompressed P-256 point
///     uint8 mode;                         // 0 = full handshake, 1 = resumed with the offered ticket
/// } ServerHello;
/// </code>
/// </summary>
internal sealed record ServerHello(ushort Version, byte[] Random, ushort CipherSuite, byte[] SessionId, byte[] KeyShare, bool Resumed)
{
    public byte[] Encode()
    {
        var w = new WireWriter();
        w.WriteUInt16(Version);
        w.WriteBytes(Random);
        w.WriteUInt16(CipherSuite);
        w.WriteBytes(SessionId);
        w.WriteVector8(KeyShare);
        w.WriteUInt8(Resumed ? 1 : 0);
        return HandshakeFraming.Frame(HandshakeType.ServerHello, w);
    }

    public static ServerHello Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body, "ServerHello");
        ushort version = r.ReadUInt16();
        var random = r.ReadBytes(ProtocolConstants.RandomLength).ToArray();
        ushort suite = r.ReadUInt16();
        var sessionId = r.ReadBytes(ProtocolConstants.SessionIdLength).ToArray();
        var share = r.ReadVector8().ToArray();
        byte mode = r.ReadUInt8();
        r.EnsureEnd();
        if (mode > 1)
        {
            throw new ProtocolException(Alert.IllegalParameter, $"ServerHello mode {mode} is not 0 (full) or 1 (resumed).");
        }

        return new ServerHello(version, random, suite, sessionId, share, mode == 1);
    }
}

/// <summary>
/// <code>
/// struct {
///     uint8 kind;                         // 0 = X.509 chain (leaf first), 1 = raw SubjectPublicKeyInfo
///     opaque entries&lt;0..8&gt;;               // u8 count, each opaque der&lt;1..2^16-1&gt; with a u24 length
/// } Certificate;                          // count 0 only from a client that has no credential
/// </code>
/// </summary>
internal sealed record CertificateMessage(bool RawPublicKey, byte[][] Entries)
{
    public const int MaxEntries = 8;

    public byte[] Encode()
    {
        var w = new WireWriter();
        w.WriteUInt8(RawPublicKey ? 1 : 0);
        w.WriteUInt8(Entries.Length);
        foreach (var e in Entries)
        {
            w.WriteVector24(e);
        }

        return HandshakeFraming.Frame(HandshakeType.Certificate, w);
    }

    public static CertificateMessage Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body, "Certificate");
        byte kind = r.ReadUInt8();
        int count = r.ReadUInt8();
        if (kind > 1 || count > MaxEntries || (kind == 1 && count != 1))
        {
            throw ProtocolException.Decode("Certificate (kind or count)");
        }

        var entries = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            var der = r.ReadVector24();
            if (der.IsEmpty)
            {
                throw ProtocolException.Decode("Certificate (empty entry)");
            }

            entries[i] = der.ToArray();
        }

        r.EnsureEnd();
        return new CertificateMessage(kind == 1, entries);
    }
}

/// <summary>struct { uint16 scheme; opaque signature&lt;1..2^16-1&gt;; } CertificateVerify;</summary>
internal sealed record CertificateVerify(SignatureScheme Scheme, byte[] Signature)
{
    public byte[] Encode()
    {
        var w = new WireWriter();
        w.WriteUInt16((ushort)Scheme);
        w.WriteVector16(Signature);
        return HandshakeFraming.Frame(HandshakeType.CertificateVerify, w);
    }

    public static CertificateVerify Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body, "CertificateVerify");
        ushort scheme = r.ReadUInt16();
        var sig = r.ReadVector16();
        r.EnsureEnd();
        if (sig.IsEmpty)
        {
            throw ProtocolException.Decode("CertificateVerify (empty signature)");
        }

        return new CertificateVerify((SignatureScheme)scheme, sig.ToArray());
    }
}

/// <summary>struct { opaque verify_data[32]; } Finished;</summary>
internal static class FinishedMessage
{
    public static byte[] Encode(ReadOnlySpan<byte> verifyData)
    {
        var w = new WireWriter();
        w.WriteBytes(verifyData);
        return HandshakeFraming.Frame(HandshakeType.Finished, w);
    }

    public static ReadOnlySpan<byte> Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body, "Finished");
        var data = r.ReadBytes(ProtocolConstants.FinishedLength);
        r.EnsureEnd();
        return data;
    }
}

/// <summary>struct { } CertificateRequest; and struct { } KeyUpdate; (empty bodies).</summary>
internal static class EmptyMessage
{
    public static byte[] Encode(HandshakeType type) => HandshakeFraming.Frame(type, new WireWriter());

    public static void Read(ReadOnlySpan<byte> body, string what) => new WireReader(body, what).EnsureEnd();
}

/// <summary>
/// <code>
/// struct {
///     uint32 lifetime_seconds;
///     opaque ticket_nonce&lt;1..255&gt;;
///     opaque ticket&lt;1..1024&gt;;
/// } NewSessionTicket;
/// </code>
/// </summary>
internal sealed record NewSessionTicket(uint LifetimeSeconds, byte[] Nonce, byte[] Ticket)
{
    public byte[] Encode()
    {
        var w = new WireWriter();
        w.WriteUInt32(LifetimeSeconds);
        w.WriteVector8(Nonce);
        w.WriteVector16(Ticket);
        return HandshakeFraming.Frame(HandshakeType.NewSessionTicket, w);
    }

    public static NewSessionTicket Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body, "NewSessionTicket");
        uint lifetime = r.ReadUInt32();
        var nonce = r.ReadVector8();
        var ticket = r.ReadVector16();
        r.EnsureEnd();
        if (nonce.IsEmpty || ticket.IsEmpty || ticket.Length > ClientHello.MaxTicket)
        {
            throw ProtocolException.Decode("NewSessionTicket");
        }

        return new NewSessionTicket(lifetime, nonce.ToArray(), ticket.ToArray());
    }
}
