using SafeWire.Identity;

namespace SafeWire.Chat.Channels;

/// <summary>
/// Wraps a chat server's client policy (allow-list, CA) so each connection keeps only what the server uses of the
/// client's identity: name, fingerprint and key. The certificate the policy returns is disposed at once instead of
/// living as long as the connection (an <c>X509Certificate2</c> and its native copy per idle client).
/// </summary>
public sealed class IdentityOnlyVerifier(IPeerVerifier inner) : IPeerVerifier
{
    /// <summary>Asks the wrapped policy, then returns its identity without the certificate (disposed here).</summary>
    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        var identity = inner.Verify(credential, context);
        if (identity.Certificate is null)
        {
            return identity;
        }

        identity.Certificate.Dispose();
        return identity with { Certificate = null };
    }
}
