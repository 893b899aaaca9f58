using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SafeWire.Protocol;
using SafeWire.Protocol.KeySchedule;
using SafeWire.Protocol.Records;

namespace SafeWire.Benchmarks.Micro;

/// <summary>
/// The symmetric part of a handshake: the whole key schedule from a shared secret to both directions' record keys
/// (handshake and application), exporter and resumption secrets; and one key-update ratchet step. Baseline: a
/// single HKDF-Expand-Label, the unit everything else is built from.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class KeyScheduleBenchmarks
{
    private readonly byte[] _shared = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _hash = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _output = new byte[32];
    private ApplicationTrafficSecret _traffic = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var early = EarlySecret.Create(KeyDerivation.SafeWire, []);
        using var handshake = early.ToHandshakeSecret(_shared);
        using var master = handshake.ToMasterSecret();
        _traffic = master.ClientTrafficSecret(_hash);
    }

    [GlobalCleanup]
    public void Cleanup() => _traffic.Dispose();

    [Benchmark(Baseline = true, Description = "one HKDF-Expand-Label")]
    public byte ExpandLabel()
    {
        KeyDerivation.SafeWire.ExpandLabel(_shared, "key", [], _output);
        return _output[0];
    }

    [Benchmark(Description = "full key schedule + record keys")]
    public int FullSchedule()
    {
        using var early = EarlySecret.Create(KeyDerivation.SafeWire, []);
        using var handshake = early.ToHandshakeSecret(_shared);
        using var clientHs = handshake.ClientTrafficSecret(_hash);
        using var serverHs = handshake.ServerTrafficSecret(_hash);
        using var clientHsRecords = RecordProtection.Create(CipherSuite.Aes256Gcm, clientHs);
        using var serverHsRecords = RecordProtection.Create(CipherSuite.Aes256Gcm, serverHs);
        var finished = clientHs.FinishedKey();
        using var master = handshake.ToMasterSecret();
        using var clientApp = master.ClientTrafficSecret(_hash);
        using var serverApp = master.ServerTrafficSecret(_hash);
        using var clientRecords = RecordProtection.Create(CipherSuite.Aes256Gcm, clientApp);
        using var serverRecords = RecordProtection.Create(CipherSuite.Aes256Gcm, serverApp);
        using var exporter = master.ExporterSecret(_hash);
        using var resumption = master.ResumptionSecret(_hash);
        return finished.Length;
    }

    [Benchmark(Description = "key update (ratchet + new AES-GCM key)")]
    public int KeyUpdate()
    {
        using var next = _traffic.Next();
        using var records = RecordProtection.Create(CipherSuite.Aes256Gcm, next);
        return records.PlaintextOffset;
    }
}
