using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Enrollment;

/// <summary>What a join brought home: the certificate for the joining key, the CA certificate and its CRL.</summary>
/// <param name="Name">The name certified.</param>
/// <param name="Role">Client or server.</param>
/// <param name="Certificate">DER leaf certificate for the joining key.</param>
/// <param name="CaCertificate">DER CA certificate (its key matches the code's pin).</param>
/// <param name="Crl">DER CRL, or null.</param>
/// <param name="ServerFingerprint">The key of the server that enrolled us.</param>
internal sealed record JoinResult(string Name, PeerRole Role, byte[] Certificate, byte[] CaCertificate, byte[]? Crl, string ServerFingerprint);

/// <summary>
/// The client half of the join protocol: connects to the address in the code presenting a join request for
/// <c>key</c>, checks that the server's CA is the one the code pins (no trust on first use) and that the server's
/// certificate passes that CA's checks for the address dialled, proves the code's secret bound to this channel
/// and key, and returns what the server issued (checked: it certifies this key and comes from the pinned CA).
/// </summary>
internal static class EnrollmentClient
{
    /// <summary>Joins with <paramref name="code"/>, presenting <paramref name="key"/> (not disposed, never sent).</summary>
    public static async Task<JoinResult> JoinAsync(JoinCode code, AsymmetricAlgorithm key, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(key);
        time ??= TimeProvider.System;
        var spki = key.ExportSubjectPublicKeyInfo();
        using var credential = JoinCredential(key, time.GetUtcNow());
        var serverCapture = new CapturingVerifier();
        using var tcp = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await tcp.ConnectAsync(code.Host, code.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new JoinException(JoinError.Unreachable, $"cannot reach {code.Address}: {e.Message}; is the server running, and does it listen on that address?", e);
        }

        await using var stream = new SecureStream(tcp.GetStream());
        try
        {
            await stream.AuthenticateAsClientAsync(new SecureClientOptions
            {
                ServerVerifier = serverCapture,
                ServerName = code.Host,
                ClientCredential = credential,
                TimeProvider = time,
            }, timeout.Token).ConfigureAwait(false);
            var offer = await JoinMessage.ReadAsync(stream, "offer", timeout.Token).ConfigureAwait(false);
            using var ca = CheckServer(code, offer.Ca, serverCapture.Presented!, time.GetUtcNow());
            var exported = new byte[JoinProof.ExporterLength];
            stream.ExportKeyingMaterial(JoinProof.ExporterLabel, [], exported);
            var proof = JoinProof.Sign(code.Secret, code.InvitationId, exported, spki);
            await JoinMessage.WriteAsync(stream, new JoinMessage("request") { Invitation = code.IdText, Proof = proof }, timeout.Token).ConfigureAwait(false);
            var result = await JoinMessage.ReadAsync(stream, "result", timeout.Token).ConfigureAwait(false);
            if (result.Error is not null)
            {
                throw new JoinException(JoinMessage.ParseError(result.Error), "the server refused the code: " + (result.Message ?? result.Error));
            }

            return CheckResult(result, ca, spki, serverCapture.Fingerprint!, time.GetUtcNow());
        }
        catch (SecureChannelException e)
        {
            throw new JoinException(JoinError.Protocol, $"secure connection to {code.Address} failed: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new JoinException(JoinError.Protocol, $"the connection to {code.Address} ended during the join: {e.Message}", e);
        }
    }

    /// <summary>
    /// Fetches the current revocation list of <paramref name="ca"/> from the server at <paramref name="host"/>:<paramref name="port"/>
    /// over its join path (no code needed: the list is public and signed). The server must present a certificate from
    /// <paramref name="ca"/> valid for <paramref name="host"/>; the list must be signed by <paramref name="ca"/>.
    /// </summary>
    public static async Task<RevocationList> FetchCrlAsync(string host, int port, X509Certificate2 ca, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentNullException.ThrowIfNull(ca);
        time ??= TimeProvider.System;
        var address = host + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256); // a throwaway key: this connection asks for nothing but the list
        using var credential = JoinCredential(key, time.GetUtcNow());
        using var tcp = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await tcp.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            await using var stream = new SecureStream(tcp.GetStream());
            await stream.AuthenticateAsClientAsync(new SecureClientOptions
            {
                ServerVerifier = new CaVerifier([ca]),
                ServerName = host,
                ClientCredential = credential,
                TimeProvider = time,
            }, timeout.Token).ConfigureAwait(false);
            await JoinMessage.ReadAsync(stream, "offer", timeout.Token).ConfigureAwait(false);
            await JoinMessage.WriteAsync(stream, new JoinMessage("request") { Want = JoinMessage.WantCrl }, timeout.Token).ConfigureAwait(false);
            var result = await JoinMessage.ReadAsync(stream, "result", timeout.Token).ConfigureAwait(false);
            if (result.Error is not null || result.Crl is null)
            {
                throw new JoinException(JoinError.Protocol, $"the server at {address} sent no revocation list{(result.Message is null ? "" : ": " + result.Message)}");
            }

            var crl = RevocationList.Parse($"the revocation list from {address}", result.Crl);
            return crl.IsSignedBy(ca)
                ? crl
                : throw new JoinException(JoinError.Protocol, $"the revocation list from {address} is not signed by the CA this home trusts for it");
        }
        catch (Exception e) when (e is SocketException or SecureChannelException or IOException or IdentityFileException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new JoinException(JoinError.Unreachable, $"cannot fetch the revocation list from {address}: {e.Message}", e);
        }
    }

    /// <summary>The throwaway self-signed certificate that asks a server for the join-only role.</summary>
    private static LocalCredential JoinCredential(AsymmetricAlgorithm key, DateTimeOffset now)
    {
        var subject = new X500DistinguishedName(JoinGateVerifier.Subject);
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("The key must be ECDSA or RSA.", nameof(key)),
        };
        using var selfSigned = request.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));
        var certificate = X509CertificateLoader.LoadCertificate(selfSigned.RawData);
        var copy = CopyKey(key);
        return LocalCredential.FromCertificate(certificate, copy);
    }

    private static AsymmetricAlgorithm CopyKey(AsymmetricAlgorithm key)
    {
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            AsymmetricAlgorithm copy = key is RSA ? RSA.Create() : ECDsa.Create();
            copy.ImportPkcs8PrivateKey(pkcs8, out _);
            return copy;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static X509Certificate2 CheckServer(JoinCode code, byte[]? caDer, PeerCredential server, DateTimeOffset now)
    {
        X509Certificate2 ca;
        try
        {
            ca = X509CertificateLoader.LoadCertificate(caDer ?? throw new JoinException(JoinError.Protocol, "the server sent no CA certificate"));
        }
        catch (CryptographicException e)
        {
            throw new JoinException(JoinError.Protocol, "the server sent an unreadable CA certificate", e);
        }

        var caKey = ca.PublicKey.ExportSubjectPublicKeyInfo();
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(caKey), code.CaPin))
        {
            var seen = Fingerprint.Of(caKey);
            ca.Dispose();
            throw new JoinException(JoinError.PinMismatch,
                $"the server at {code.Address} is not the one that made this code: its CA is {seen}, the code expects {code.CaFingerprint}. " +
                "Someone may be impersonating it, or the code is for another server; nothing was sent.");
        }

        try
        {
            var identity = new CaVerifier([ca]).Verify(server, new PeerVerificationContext(PeerRole.Server, code.Host, now));
            identity.Certificate?.Dispose();
        }
        catch (TrustException e)
        {
            ca.Dispose();
            throw new JoinException(JoinError.ServerNotTrusted,
                $"the server at {code.Address} has a certificate from the right CA, but it is not valid for this address ({e.Message}); nothing was sent", e);
        }

        return ca;
    }

    private static JoinResult CheckResult(JoinMessage result, X509Certificate2 ca, byte[] spki, string serverFingerprint, DateTimeOffset now)
    {
        if (result.Certificate is null || result.Name is null)
        {
            throw new JoinException(JoinError.Protocol, "the server's answer has no certificate");
        }

        var role = result.Role == "server" ? PeerRole.Server : PeerRole.Client;
        try
        {
            var credential = PeerCredential.FromCertificateChain([result.Certificate]);
            if (!CryptographicOperations.FixedTimeEquals(credential.SubjectPublicKeyInfo, spki))
            {
                throw new JoinException(JoinError.Protocol, "the server issued a certificate for a different key");
            }

            var identity = new CaVerifier([ca]).Verify(credential, new PeerVerificationContext(role, null, now));
            identity.Certificate?.Dispose();
            if (result.Crl is not null && !RevocationList.Parse("the server's CRL", result.Crl).IsSignedBy(ca))
            {
                throw new JoinException(JoinError.Protocol, "the server's CRL is not signed by its CA");
            }
        }
        catch (TrustException e)
        {
            throw new JoinException(JoinError.Protocol, "the certificate the server issued does not check out: " + e.Message, e);
        }
        catch (IdentityFileException e)
        {
            throw new JoinException(JoinError.Protocol, "the server's CRL is unreadable: " + e.Message, e);
        }

        return new JoinResult(result.Name, role, result.Certificate, ca.RawData, result.Crl, serverFingerprint);
    }

    /// <summary>Accepts the server's credential during the handshake and keeps it: the pin check runs right after, before anything is sent.</summary>
    private sealed class CapturingVerifier : IPeerVerifier
    {
        public PeerCredential? Presented { get; private set; }

        public string? Fingerprint { get; private set; }

        public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
        {
            if (credential.IsRawPublicKey)
            {
                throw new TrustException(TrustFailureReason.UnknownKey, "The server presented a bare key; a join needs a server with a CA certificate.");
            }

            Presented = credential;
            Fingerprint = Identity.Fingerprint.Of(credential.SubjectPublicKeyInfo);
            return new PeerIdentity(context.ExpectedName ?? "server", Fingerprint, credential.SubjectPublicKeyInfo, null);
        }
    }
}
