using SafeWire.Identity;

namespace SafeWire.Protocol;

/// <summary>
/// Why a SafeWire connection ended. Values below 200 are TLS 1.3's alert codes (RFC 8446 §6) with the same
/// meaning; 200 and above are SafeWire's own. Each is one byte on the wire (docs/PROTOCOL.md, "Alerts").
/// </summary>
public enum Alert : byte
{
    /// <summary>Orderly close: the sender will send nothing more.</summary>
    CloseNotify = 0,
    /// <summary>A message arrived that is not allowed in the current state ("expected X, got Y").</summary>
    UnexpectedMessage = 10,
    /// <summary>A record failed authentication (tampered, replayed, reordered or dropped record).</summary>
    BadRecordMac = 20,
    /// <summary>A record or handshake message is longer than the protocol allows.</summary>
    RecordOverflow = 22,
    /// <summary>The handshake could not complete (generic; the message says why).</summary>
    HandshakeFailure = 40,
    /// <summary>The certificate or key was malformed, or a known host presented a different key.</summary>
    BadCertificate = 42,
    /// <summary>The certificate's key usage does not allow this role, or its key type is unsupported.</summary>
    UnsupportedCertificate = 43,
    /// <summary>The certificate was revoked by its CA.</summary>
    CertificateRevoked = 44,
    /// <summary>The certificate is expired or not yet valid.</summary>
    CertificateExpired = 45,
    /// <summary>The certificate does not name the expected peer, or the key is unknown.</summary>
    CertificateUnknown = 46,
    /// <summary>A field had a value that is not allowed (e.g. an invalid curve point).</summary>
    IllegalParameter = 47,
    /// <summary>The certificate chain does not lead to a trusted CA.</summary>
    UnknownCa = 48,
    /// <summary>The peer's key is not on the allow-list.</summary>
    AccessDenied = 49,
    /// <summary>A message could not be parsed (short, long, or trailing bytes).</summary>
    DecodeError = 50,
    /// <summary>A handshake signature or Finished MAC did not verify (e.g. a modified offer).</summary>
    DecryptError = 51,
    /// <summary>The peer speaks a protocol version this endpoint does not.</summary>
    ProtocolVersion = 70,
    /// <summary>An internal error unrelated to the peer.</summary>
    InternalError = 80,
    /// <summary>The server requires a client certificate and none was sent.</summary>
    CertificateRequired = 116,
    /// <summary>SafeWire: no cipher suite is offered by both sides.</summary>
    NoCommonCipherSuite = 200,
    /// <summary>SafeWire: the handshake did not finish within the configured timeout.</summary>
    HandshakeTimeout = 201,
    /// <summary>SafeWire (local only, never sent): the transport ended without close_notify.</summary>
    Truncated = 202,
    /// <summary>SafeWire: the server refused the connection for load before the handshake; retry after a short wait.</summary>
    ServerBusy = 203,
}

/// <summary>Mapping between trust failures and alerts.</summary>
internal static class AlertMapping
{
    /// <summary>The alert sent when a peer's identity is rejected for <paramref name="reason"/>.</summary>
    public static Alert ForTrustFailure(TrustFailureReason reason) => reason switch
    {
        TrustFailureReason.Expired or TrustFailureReason.NotYetValid => Alert.CertificateExpired,
        TrustFailureReason.UntrustedIssuer => Alert.UnknownCa,
        TrustFailureReason.Revoked => Alert.CertificateRevoked,
        TrustFailureReason.NameMismatch or TrustFailureReason.UnknownKey => Alert.CertificateUnknown,
        TrustFailureReason.WrongKeyUsage => Alert.UnsupportedCertificate,
        TrustFailureReason.NotOnAllowList => Alert.AccessDenied,
        TrustFailureReason.HostKeyChanged or TrustFailureReason.Malformed => Alert.BadCertificate,
        _ => Alert.BadCertificate,
    };
}
