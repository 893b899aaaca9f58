using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;

namespace SafeWire.Benchmarks.Micro;

/// <summary>
/// Where a handshake's time goes: each P-256 operation a SafeWire handshake performs, on .NET's OpenSSL-backed
/// types. A full handshake does, across both ends, 2 key generations, 2 peer-point imports, 2 ECDH agreements,
/// 1 signature and 1 verification (with an SPKI import); a resumed one skips the last two.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class P256Benchmarks : IDisposable
{
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(130);
    private readonly ECCurve _curve = ECCurve.NamedCurves.nistP256;
    private ECDiffieHellman _mine = null!;
    private ECDiffieHellman _peer = null!;
    private ECParameters _peerPublic;
    private ECDsa _signer = null!;
    private byte[] _spki = null!;
    private byte[] _signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _mine = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        _peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        _peerPublic = _peer.ExportParameters(false);
        _signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _spki = _signer.ExportSubjectPublicKeyInfo();
        _signature = _signer.SignData(_content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _mine.Dispose();
        _peer.Dispose();
        _signer.Dispose();
    }

    [Benchmark(Baseline = true, Description = "key generation")]
    public int Generate()
    {
        using var key = ECDiffieHellman.Create(_curve);
        return key.KeySize;
    }

    [Benchmark(Description = "export public point")]
    public int ExportPoint() => _mine.ExportParameters(false).Q.X!.Length;

    [Benchmark(Description = "import peer point (validated)")]
    public int ImportPoint()
    {
        using var key = ECDiffieHellman.Create(new ECParameters { Curve = _curve, Q = _peerPublic.Q });
        return key.KeySize;
    }

    [Benchmark(Description = "ECDH agreement")]
    public int Agree() => _mine.DeriveRawSecretAgreement(_peer.PublicKey).Length;

    [Benchmark(Description = "ECDSA sign")]
    public int Sign() => _signer.SignData(_content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence).Length;

    [Benchmark(Description = "ECDSA verify (with SPKI import)")]
    public bool Verify()
    {
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_spki, out _);
        return key.VerifyData(_content, _signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }
}
