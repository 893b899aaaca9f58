using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SafeWire.Benchmarks.Channel;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Handshake;

namespace SafeWire.Benchmarks.Micro;

/// <summary>
/// A complete handshake in memory (both ends, no sockets): full with an ECDSA P-256 certificate checked by
/// CaVerifier, and resumed with a ticket (fresh ECDHE, no signatures). The baseline is the public-key work a full
/// handshake cannot avoid: two P-256 key pairs, two ECDH agreements, one ECDSA signature and its verification.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class HandshakeBenchmarks : IDisposable
{
    private readonly byte[] _scratch = new byte[1 << 17];
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(130);
    private BenchCertificates _certificates = null!;
    private CaVerifier _verifier = null!;
    private SessionTicketStore _tickets = null!;
    private SessionTicketCache _cache = null!;
    private ECDsa _signer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _certificates = BenchCertificates.Create();
        _verifier = new CaVerifier([_certificates.Root]);
        _tickets = new SessionTicketStore();
        _cache = new SessionTicketCache();
        _signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Resumed();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _tickets.Dispose();
        _signer.Dispose();
        _certificates.Dispose();
    }

    [Benchmark(Baseline = true, Description = "P-256 floor: 2 keygen + 2 ECDH + sign + verify")]
    public int PublicKeyFloor()
    {
        using var a = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var b = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var ab = a.DeriveRawSecretAgreement(b.PublicKey);
        var ba = b.DeriveRawSecretAgreement(a.PublicKey);
        var signature = _signer.SignData(_content, HashAlgorithmName.SHA256);
        return ab[0] + ba[0] + (_signer.VerifyData(_content, signature, HashAlgorithmName.SHA256) ? 1 : 0);
    }

    [Benchmark(Description = "client's trust decision (parse chain + CaVerifier, cached chain)")]
    public string TrustDecision()
    {
        var credential = PeerCredential.FromCertificateChain(_certificates.ServerCredential.Presented.CertificateChain);
        return _verifier.Verify(credential, new PeerVerificationContext(PeerRole.Server, BenchCertificates.ServerName, DateTimeOffset.UtcNow)).Name;
    }

    [Benchmark(Description = "full handshake (certificate, CaVerifier)")]
    public bool Full()
    {
        var (client, server) = InMemorySession.Handshake(
            InMemorySession.Client(_verifier, CipherSuite.Aes256Gcm), InMemorySession.Server(_certificates.ServerCredential, CipherSuite.Aes256Gcm), _scratch);
        using (client)
        using (server)
        {
            return client.IsHandshakeComplete;
        }
    }

    [Benchmark(Description = "resumed handshake (ticket + fresh ECDHE)")]
    public bool Resumed()
    {
        // Each handshake uses the ticket the previous one delivered (tickets are single-use).
        var (client, server) = InMemorySession.Handshake(
            InMemorySession.Client(_verifier, CipherSuite.Aes256Gcm, _cache), InMemorySession.Server(_certificates.ServerCredential, CipherSuite.Aes256Gcm, _tickets), _scratch);
        using (client)
        using (server)
        {
            return client.Result!.Resumed;
        }
    }
}
