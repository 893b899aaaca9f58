using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Identity;

/// <summary>A peer identity that a trust policy accepted.</summary>
/// <param name="Name">Display name: certificate subject CN, allow-list name, or host name.</param>
/// <param name="Fingerprint">SHA-256 of the SubjectPublicKeyInfo DER, as <c>SHA256:&lt;base64&gt;</c>.</param>
/// <param name="SubjectPublicKeyInfo">DER SPKI of the key that must sign the handshake transcript.</param>
/// <param name="Certificate">The leaf certificate, when the peer used one.</param>
public sealed record PeerIdentity(string Name, string Fingerprint, byte[] SubjectPublicKeyInfo, X509Certificate2? Certificate)
{
    /// <summary>
    /// True for a client admitted only to present a join code (<c>SafeWire.Enrollment.JoinGateVerifier</c>): a server
    /// must hand such a connection to its join handler and never to its application.
    /// </summary>
    public bool IsJoinRequest { get; init; }
}
