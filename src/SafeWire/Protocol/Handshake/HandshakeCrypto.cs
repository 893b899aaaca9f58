using System.Security.Cryptography;
using System.Text;
using SafeWire.Identity;
using SafeWire.Protocol.Messages;

namespace SafeWire.Protocol.Handshake;

/// <summary>The public-key operations of the handshake: ECDHE with point validation, and CertificateVerify.</summary>
internal static class HandshakeCrypto
{
    public static readonly byte[] ServerContext = Encoding.ASCII.GetBytes("SafeWire 1, server CertificateVerify");
    public static readonly byte[] ClientContext = Encoding.ASCII.GetBytes("SafeWire 1, client CertificateVerify");

    public static byte[] PublicPoint(ECDiffieHellman key)
    {
        var p = key.ExportParameters(false);
        var point = new byte[ProtocolConstants.P256PointLength];
        point[0] = 0x04;
        p.Q.X!.CopyTo(point, 1);
        p.Q.Y!.CopyTo(point, 33);
        return point;
    }

    /// <summary>Cheap shape check before any curve arithmetic: 65 bytes, uncompressed form.</summary>
    public static void CheckPointShape(ReadOnlySpan<byte> point)
    {
        if (point.Length != ProtocolConstants.P256PointLength || point[0] != 0x04)
        {
            throw new ProtocolException(Alert.IllegalParameter, "The peer's key share is not an uncompressed P-256 point.");
        }
    }

    /// <summary>
    /// ECDH with the peer's point. The import validates that the point is on P-256 (the identity has no
    /// uncompressed encoding); an all-zero shared secret is refused as well.
    /// </summary>
    public static byte[] SharedSecret(ECDiffieHellman mine, ReadOnlySpan<byte> peerPoint)
    {
        CheckPointShape(peerPoint);
        ECDiffieHellman peer;
        try
        {
            peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = peerPoint.Slice(1, 32).ToArray(), Y = peerPoint.Slice(33, 32).ToArray() },
            });
        }
        catch (CryptographicException e)
        {
            throw new ProtocolException(Alert.IllegalParameter, "The peer's key share is not a valid P-256 point.", inner: e);
        }

        using (peer)
        {
            byte[] secret;
            try
            {
                secret = mine.DeriveRawSecretAgreement(peer.PublicKey);
            }
            catch (CryptographicException e)
            {
                throw new ProtocolException(Alert.IllegalParameter, "ECDH with the peer's key share failed.", inner: e);
            }

            int acc = 0;
            foreach (var b in secret)
            {
                acc |= b;
            }

            if (acc == 0)
            {
                throw new ProtocolException(Alert.IllegalParameter, "The ECDH shared secret is all zeros.");
            }

            return secret;
        }
    }

    /// <summary>64 spaces | context string | 0x00 | transcript hash (RFC 8446 §4.4.3's layout).</summary>
    public static byte[] SignedContent(ReadOnlySpan<byte> context, ReadOnlySpan<byte> transcriptHash)
    {
        var content = new byte[64 + context.Length + 1 + transcriptHash.Length];
        content.AsSpan(0, 64).Fill(0x20);
        context.CopyTo(content.AsSpan(64));
        content[64 + context.Length] = 0;
        transcriptHash.CopyTo(content.AsSpan(65 + context.Length));
        return content;
    }

    public static CertificateVerify Sign(LocalCredential credential, byte[] content) => credential.Key switch
    {
        ECDsa ecdsa => new CertificateVerify(SignatureScheme.EcdsaSecp256r1Sha256, ecdsa.SignData(content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
        // RSASSA-PSS: SHA-256, MGF1 with SHA-256, salt length 32 (.NET's Pss padding uses the hash length).
        RSA rsa => new CertificateVerify(SignatureScheme.RsaPssRsaeSha256, rsa.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)),
        _ => throw new InvalidOperationException("A credential key must be ECDSA or RSA."),
    };

    /// <summary>Verifies with the key in <paramref name="spki"/> (the certificate's key); false if it does not verify.</summary>
    public static bool Verify(CertificateVerify verify, byte[] spki, byte[] content) =>
        PeerKeyCache.Verify(verify.Scheme, spki, verify.Signature, content);

    /// <summary>
    /// Turns a Certificate message into a credential and asks the trust policy. Everything the peer got wrong maps to
    /// its own alert, never to internal_error: an unparsable certificate, or a key SafeWire cannot verify with (not
    /// ECDSA P-256 or RSA of at least 2048 bits; a corrupted curve; a certificate where a bare key belongs) is
    /// bad_certificate before the trust policy sees it (so trust on first use never records an unusable key);
    /// the policy's refusals map through <see cref="AlertMapping.ForTrustFailure"/>.
    /// </summary>
    public static PeerIdentity VerifyPeer(CertificateMessage message, IPeerVerifier verifier, PeerVerificationContext context)
    {
        PeerCredential credential;
        try
        {
            credential = message.RawPublicKey
                ? PeerCredential.FromRawPublicKey(message.Entries[0])
                : PeerKeyCache.Chain(message.Entries);
        }
        catch (TrustException e)
        {
            throw new ProtocolException(AlertMapping.ForTrustFailure(e.Reason), e.Message, e.Reason, inner: e);
        }
        catch (Exception e) when (IsMalformedInput(e))
        {
            throw new ProtocolException(Alert.BadCertificate, "The peer's certificate could not be parsed: " + e.Message, TrustFailureReason.Malformed, inner: e);
        }

        if (!PeerKeyCache.IsAcceptableKey(credential.SubjectPublicKeyInfo))
        {
            throw new ProtocolException(Alert.BadCertificate,
                message.RawPublicKey
                    ? "The peer's raw key is not an ECDSA P-256 or RSA (2048 bits or more) public key."
                    : "The peer's certificate holds a key SafeWire does not accept: it must be ECDSA P-256 or RSA of 2048 bits or more.",
                TrustFailureReason.Malformed);
        }

        PeerIdentity identity;
        try
        {
            identity = verifier.Verify(credential, context);
        }
        catch (TrustException e)
        {
            throw new ProtocolException(AlertMapping.ForTrustFailure(e.Reason), e.Message, e.Reason, inner: e);
        }
        catch (Exception e) when (IsMalformedInput(e))
        {
            // A trust policy that trips over the peer's bytes (e.g. while parsing an extension) is refusing a
            // malformed credential: the peer's fault, reported as such.
            throw new ProtocolException(Alert.BadCertificate, "The peer's certificate could not be checked: " + e.Message, TrustFailureReason.Malformed, inner: e);
        }

        if (!CryptographicOperations.FixedTimeEquals(identity.SubjectPublicKeyInfo, credential.SubjectPublicKeyInfo))
        {
            throw new ProtocolException(Alert.BadCertificate, "The trust policy accepted a different key than the one presented.", TrustFailureReason.Malformed);
        }

        return identity;
    }

    /// <summary>The exceptions parsers throw for bytes they cannot make sense of.</summary>
    private static bool IsMalformedInput(Exception e) =>
        e is CryptographicException or NotSupportedException or FormatException or System.Formats.Asn1.AsnContentException or ArgumentException;

    /// <summary>
    /// Checks a peer's CertificateVerify: a signature by the certified key over <paramref name="contextString"/> and
    /// the transcript hash. Both sides use this one check, so they cannot drift apart.
    /// </summary>
    public static void CheckPeerSignature(ReadOnlySpan<byte> body, PeerIdentity peer, byte[] contextString, ReadOnlySpan<byte> transcriptHash, string failure)
    {
        var verify = CertificateVerify.Read(body);
        if (!Verify(verify, peer.SubjectPublicKeyInfo, SignedContent(contextString, transcriptHash)))
        {
            throw new ProtocolException(Alert.DecryptError, failure);
        }
    }

    /// <summary>Checks a peer's Finished (HMAC over the transcript hash) in constant time; zeroes the finished key.</summary>
    public static void CheckPeerFinished(byte[] finishedKey, ReadOnlySpan<byte> transcriptHash, ReadOnlySpan<byte> body, string failure)
    {
        var expected = FinishedMac(finishedKey, transcriptHash);
        if (!CryptographicOperations.FixedTimeEquals(expected, FinishedMessage.Read(body)))
        {
            throw new ProtocolException(Alert.DecryptError, failure);
        }
    }

    public static byte[] FinishedMac(byte[] finishedKey, ReadOnlySpan<byte> transcriptHash)
    {
        try
        {
            return HMACSHA256.HashData(finishedKey, transcriptHash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(finishedKey);
        }
    }
}
