namespace SafeWire.Identity;

/// <summary>
/// Accepts a peer that any one of several policies accepts, e.g. "issued by our CA, or pinned on the allow-list".
/// Policies are tried in order; the first acceptance wins. A revoked certificate is a veto: it is refused even if
/// another policy (such as a pinned key) would accept it. When all refuse, the first refusal that is more specific
/// than "unknown key" is thrown, so the user sees the real problem (expired, wrong name, ...); a pinned key that
/// changed is said above everything else (a CA that did not issue it is then the expected, uninteresting refusal).
/// </summary>
public sealed class AnyOfVerifier : IPeerVerifier
{
    private readonly IPeerVerifier[] _verifiers;

    /// <summary>Combines <paramref name="verifiers"/>, tried in the given order; at least one is required.</summary>
    public AnyOfVerifier(params IPeerVerifier[] verifiers)
    {
        ArgumentNullException.ThrowIfNull(verifiers);
        if (verifiers.Length == 0)
        {
            throw new ArgumentException("At least one verifier is needed.", nameof(verifiers));
        }

        _verifiers = verifiers;
    }

    /// <inheritdoc/>
    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        PeerIdentity? accepted = null;
        TrustException? best = null;
        foreach (var verifier in _verifiers)
        {
            try
            {
                var identity = verifier.Verify(credential, context);
                accepted ??= identity;
            }
            catch (TrustException e) when (e.Reason == TrustFailureReason.Revoked)
            {
                throw;
            }
            catch (TrustException e)
            {
                if (best is null || Specificity(e.Reason) > Specificity(best.Reason))
                {
                    best = e;
                }
            }
        }

        return accepted ?? throw best!;
    }

    /// <summary>"Not a certificate" says least, "not on the allow-list" a little more, anything else the real problem; a changed key most.</summary>
    private static int Specificity(TrustFailureReason reason) => reason switch
    {
        TrustFailureReason.HostKeyChanged => 3,
        TrustFailureReason.UnknownKey => 0,
        TrustFailureReason.NotOnAllowList => 1,
        _ => 2,
    };
}
