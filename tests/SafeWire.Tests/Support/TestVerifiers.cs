using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;

namespace SafeWire.Tests.Support;

/// <summary>Test-only CA verifier: chain to one root, validity, revocation list, DNS name. Mirrors what CaVerifier does.</summary>
internal sealed class TestCaVerifier(TestPki pki) : IPeerVerifier
{
    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        if (credential.IsRawPublicKey)
        {
            throw new TrustException(TrustFailureReason.UnknownKey, "A certificate is required.");
        }

        using var leaf = X509CertificateLoader.LoadCertificate(credential.CertificateChain[0]);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(pki.Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = context.Now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (!chain.Build(leaf))
        {
            var status = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (a, s) => a | s.Status);
            if ((status & X509ChainStatusFlags.NotTimeValid) != 0)
            {
                throw new TrustException(context.Now < leaf.NotBefore ? TrustFailureReason.NotYetValid : TrustFailureReason.Expired, $"Certificate valid {leaf.NotBefore:u}..{leaf.NotAfter:u}.");
            }

            throw new TrustException(TrustFailureReason.UntrustedIssuer, "Certificate not issued by the trusted CA: " + status);
        }

        if (pki.RevokedSerials.Any(s => s.AsSpan().SequenceEqual(leaf.GetSerialNumber())))
        {
            throw new TrustException(TrustFailureReason.Revoked, "Certificate revoked.");
        }

        if (context.ExpectedName is { } name && !leaf.MatchesHostname(name))
        {
            throw new TrustException(TrustFailureReason.NameMismatch, $"Certificate is not for {name}.");
        }

        var spki = leaf.PublicKey.ExportSubjectPublicKeyInfo();
        return new PeerIdentity(leaf.GetNameInfo(X509NameType.SimpleName, false), Fingerprint.Of(spki), spki, X509CertificateLoader.LoadCertificate(leaf.RawData));
    }
}

/// <summary>Test-only pinned-key verifier: an allow-list (NotOnAllowList) or a known host (HostKeyChanged).</summary>
internal sealed class TestPinnedVerifier(IEnumerable<string> fingerprints, TrustFailureReason failure = TrustFailureReason.NotOnAllowList) : IPeerVerifier
{
    private readonly HashSet<string> _allowed = [.. fingerprints];

    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        var fingerprint = Fingerprint.Of(credential.SubjectPublicKeyInfo);
        if (!_allowed.Contains(fingerprint))
        {
            throw new TrustException(failure, $"Key {fingerprint} is not pinned.");
        }

        return new PeerIdentity(fingerprint, fingerprint, credential.SubjectPublicKeyInfo, null);
    }
}

/// <summary>Makes ECDSA CertificateVerify deterministic across runs: same content, same signature.</summary>
internal sealed class MemoizingSigner
{
    private readonly Dictionary<string, SafeWire.Protocol.Messages.CertificateVerify> _signatures = [];

    public SafeWire.Protocol.Messages.CertificateVerify Sign(LocalCredential credential, byte[] content)
    {
        lock (_signatures)
        {
            var key = Convert.ToHexString(SHA256.HashData(content));
            if (!_signatures.TryGetValue(key, out var signature))
            {
                signature = SafeWire.Protocol.Handshake.HandshakeCrypto.Sign(credential, content);
                _signatures[key] = signature;
            }

            return signature;
        }
    }
}
