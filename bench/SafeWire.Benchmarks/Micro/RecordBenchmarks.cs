using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SafeWire.Benchmarks.Channel;
using SafeWire.Identity;
using SafeWire.Protocol;

namespace SafeWire.Benchmarks.Micro;

/// <summary>
/// The record layer per suite: seal a record on one connection and open it in place on the other (16 KiB and
/// 1-byte payloads). The baseline is the bare AES-256-GCM encrypt + decrypt of the same bytes, so the rows show
/// what framing, nonces, sequence numbers and checks add. MemoryDiagnoser must show 0 B allocated.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class RecordBenchmarks : IDisposable
{
    private const int Records = 64;
    private BenchCertificates _certificates = null!;
    private ProtocolConnection _client = null!;
    private ProtocolConnection _server = null!;
    private AesGcm _aes = null!;
    private byte[] _data = null!;
    private byte[] _record = null!;
    private byte[] _tag = null!;

    [Params(CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305, CipherSuite.Aes256CbcHmacSha256)]
    public CipherSuite Suite { get; set; }

    [Params(1, 16384)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _certificates = BenchCertificates.Create();
        _record = new byte[1 << 17];
        (_client, _server) = InMemorySession.Handshake(
            InMemorySession.Client(new CaVerifier([_certificates.Root]), Suite), InMemorySession.Server(_certificates.ServerCredential, Suite), _record);
        _data = new byte[Size];
        RandomNumberGenerator.Fill(_data);
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        _tag = new byte[16];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _client.Dispose();
        _server.Dispose();
        _aes.Dispose();
        _certificates.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Records, Description = "bare AesGcm encrypt+decrypt")]
    public int BareAesGcm()
    {
        Span<byte> nonce = stackalloc byte[12];
        var text = _record.AsSpan(0, Size);
        for (int i = 0; i < Records; i++)
        {
            nonce[11] = (byte)i;
            _aes.Encrypt(nonce, _data, text, _tag);
            _aes.Decrypt(nonce, text, _tag, text);
        }

        return text[0];
    }

    [Benchmark(OperationsPerInvoke = Records, Description = "record seal+open")]
    public int SealAndOpen()
    {
        int total = 0;
        for (int i = 0; i < Records; i++)
        {
            total += InMemorySession.SealAndOpen(_client, _server, _data, _record);
        }

        return total;
    }
}
