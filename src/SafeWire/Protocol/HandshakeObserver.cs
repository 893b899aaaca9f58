using System.Globalization;
using System.Text;
using SafeWire.Protocol.Messages;

namespace SafeWire.Protocol;

/// <summary>
/// Watches one end of a handshake, for teaching and debugging (<c>safewire trace</c>, key logs). Called synchronously
/// by the protocol core; it must not throw or block. Set through <see cref="Transport.SecureChannelOptions.Observer"/>.
/// </summary>
public interface IHandshakeObserver
{
    /// <summary>
    /// A handshake message (4-byte header + body, exactly as hashed into the transcript). Sent messages are reported
    /// when queued; received ones after they were processed, that is after every check on them passed.
    /// </summary>
    void OnHandshakeMessage(bool sent, string type, ReadOnlySpan<byte> message);

    /// <summary>
    /// A secret of the key schedule, named as in the NSS key log format (<c>CLIENT_HANDSHAKE_TRAFFIC_SECRET</c>,
    /// <c>SERVER_HANDSHAKE_TRAFFIC_SECRET</c>, <c>CLIENT_TRAFFIC_SECRET_0</c>, <c>SERVER_TRAFFIC_SECRET_0</c>,
    /// <c>EXPORTER_SECRET</c>), with the ClientHello random that identifies the session in a key log.
    /// </summary>
    void OnSecret(string label, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> secret);
}

/// <summary>One field of a handshake message, for display: name, size in bytes on the wire (without its length prefix), value.</summary>
internal sealed record HandshakeField(string Name, int Size, string Value);

/// <summary>Splits a handshake message into its fields with the protocol's own codecs (docs/PROTOCOL.md has the structs).</summary>
internal static class HandshakeFields
{
    public static IReadOnlyList<HandshakeField> Describe(ReadOnlySpan<byte> message)
    {
        if (message.Length < HandshakeFraming.HeaderLength)
        {
            return [];
        }

        var body = message[HandshakeFraming.HeaderLength..];
        switch ((HandshakeType)message[0])
        {
            case HandshakeType.ClientHello:
                var ch = ClientHello.Read(body);
                return
                [
                    new("version", 2, $"0x{ch.Version:x4}"),
                    new("random", ch.Random.Length, Hex(ch.Random)),
                    new("cipher_suites", 1 + (2 * ch.CipherSuites.Length), string.Join(", ", ch.CipherSuites.Select(Suite))),
                    new("key_share", ch.KeyShare.Length, "ECDH P-256 public point " + Hex(ch.KeyShare)),
                    new("server_name", Encoding.UTF8.GetByteCount(ch.ServerName ?? string.Empty), ch.ServerName ?? "(none)"),
                    new("ticket", ch.Ticket.Length, ch.Ticket.Length == 0 ? "(none: no resumption offered)" : Hex(ch.Ticket)),
                ];
            case HandshakeType.ServerHello:
                var sh = ServerHello.Read(body);
                return
                [
                    new("version", 2, $"0x{sh.Version:x4}"),
                    new("random", sh.Random.Length, Hex(sh.Random)),
                    new("cipher_suite", 2, Suite(sh.CipherSuite)),
                    new("session_id", sh.SessionId.Length, Hex(sh.SessionId)),
                    new("key_share", sh.KeyShare.Length, "ECDH P-256 public point " + Hex(sh.KeyShare)),
                    new("resumed", 1, sh.Resumed ? "yes" : "no"),
                ];
            case HandshakeType.Certificate:
                var cert = CertificateMessage.Read(body);
                return
                [
                    new("kind", 1, cert.RawPublicKey ? "raw public key" : "X.509 chain"),
                    .. cert.Entries.Select((e, i) => new HandshakeField($"entry[{i}]", e.Length, cert.RawPublicKey ? "SubjectPublicKeyInfo " + Hex(e) : Subject(e))),
                ];
            case HandshakeType.CertificateVerify:
                var cv = CertificateVerify.Read(body);
                return [new("scheme", 2, cv.Scheme.ToString()), new("signature", cv.Signature.Length, Hex(cv.Signature))];
            case HandshakeType.Finished:
                var verify = FinishedMessage.Read(body);
                return [new("verify_data", verify.Length, Hex(verify))];
            case HandshakeType.NewSessionTicket:
                var ticket = NewSessionTicket.Read(body);
                return [new("lifetime", 4, $"{ticket.LifetimeSeconds} s"), new("nonce", ticket.Nonce.Length, Hex(ticket.Nonce)), new("ticket", ticket.Ticket.Length, "(opaque, sealed by the server)")];
            default:
                return [];
        }
    }

    /// <summary>The ClientHello's random (the key log's session identifier), or empty if the message is not a ClientHello.</summary>
    internal static byte[] ClientRandom(ReadOnlySpan<byte> message) =>
        message.Length > HandshakeFraming.HeaderLength && (HandshakeType)message[0] == HandshakeType.ClientHello
            ? ClientHello.Read(message[HandshakeFraming.HeaderLength..]).Random
            : [];

    internal static string TypeName(byte type) => Enum.IsDefined((HandshakeType)type) ? ((HandshakeType)type).ToString() : $"type {type}";

    private static string Suite(ushort code) => Enum.IsDefined((CipherSuite)code) ? ((CipherSuite)code).ToString() : $"0x{code:x4}";

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static string Subject(byte[] der)
    {
        try
        {
            using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
            return string.Create(CultureInfo.InvariantCulture, $"certificate \"{certificate.Subject}\" issued by \"{certificate.Issuer}\", valid until {certificate.NotAfter:yyyy-MM-dd}");
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "certificate (unparsable)";
        }
    }
}
