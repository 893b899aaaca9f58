using SafeWire.Framing;
using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.KeyDistribution.Wire;
using SafeWire.Voting;

namespace SafeWire.Fuzz.Tests;

/// <summary>
/// What the fuzzer found, each fixed and pinned here: the decoders refuse these inputs with their typed error
/// instead of an untyped exception (which the servers and the CLI report as an internal error or a crash).
/// </summary>
public sealed class FuzzFindingsTests
{
    private static readonly TransferId s_id = new(UInt128.MaxValue / 3);

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(253_402_300_800_000)] // one millisecond after 9999-12-31T23:59:59.999Z
    public void KmPairedMessage_WithATimeOutOfRange_IsMalformed(long milliseconds)
    {
        var writer = new FieldWriter();
        new PairedMessage(s_id, TransferMode.Cbc, TransferRole.Sender, 2, "bob", "SHA256:x", DateTimeOffset.UnixEpoch).Write(writer);
        var body = writer.ToArray();
        BinaryPrimitives.WriteInt64BigEndian(body.AsSpan(body.Length - 8), milliseconds);
        var error = Assert.Throws<KdException>(() => PairedMessage.Read(new KdFrame(KdMessageType.Paired, body)));
        Assert.Equal(KdError.Malformed, error.Error);
    }

    [Fact]
    public void KmKeyGrant_WithATimeOutOfRange_IsMalformed()
    {
        using var keys = TransferKeys.Generate(s_id, TransferMode.Cfb, "SHA256:a", "SHA256:b", DateTimeOffset.UnixEpoch);
        var writer = new FieldWriter();
        keys.Write(writer);
        var body = writer.ToArray();
        BinaryPrimitives.WriteInt64BigEndian(body.AsSpan(body.Length - 8), long.MaxValue);
        var error = Assert.Throws<KdException>(() => TransferKeys.Read(new KdFrame(KdMessageType.KeyGrant, body)));
        Assert.Equal(KdError.Malformed, error.Error);

        BinaryPrimitives.WriteInt64BigEndian(body.AsSpan(body.Length - 8), 0);
        using var read = TransferKeys.Read(new KdFrame(KdMessageType.KeyGrant, body));
        Assert.Equal(DateTimeOffset.UnixEpoch, read.ExpiresAt);
    }

    [Fact]
    public void PrivateKeyFileWithACorruptedCurveOid_IsACorruptKeyFile()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = PemEncoding.WriteString("PRIVATE KEY", CorruptCurve(key.ExportPkcs8PrivateKey()));
        var directory = Directory.CreateTempSubdirectory("safewire-fuzz-finding-");
        try
        {
            var path = Path.Combine(directory.FullName, "key.pem");
            File.WriteAllText(path, pem);
            var error = Assert.Throws<IdentityFileException>(() => KeyFile.ReadPrivateKey(path).Dispose());
            Assert.Equal(IdentityFileError.Corrupt, error.Error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void VoterCredentialWithACorruptedCurveOid_IsDamaged()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var credential = new VoterCredential
        {
            Election = "election",
            VoterId = "voter-1",
            PrivateKey = PemEncoding.WriteString("PRIVATE KEY", CorruptCurve(key.ExportPkcs8PrivateKey())),
            ElectionKey = string.Empty,
            ReceiptKey = string.Empty,
        };
        var error = Assert.Throws<VotingException>(() => credential.LoadPrivateKey().Dispose());
        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BoardEntryWithAnImpossibleTime_IsMalformed()
    {
        // A BoardEntries message (type 8) with one entry whose time is long.MaxValue: `vote board` would have
        // crashed formatting it; the decoder now refuses the batch.
        var entry = new List<byte>();
        entry.AddRange(BigEndian(1));                    // sequence
        entry.Add(1);                                     // kind: cast
        entry.AddRange(BigEndian(0));                    // replaces
        entry.AddRange(Field(new byte[32]));             // ballot hash
        entry.AddRange(BigEndian(long.MaxValue));        // recorded at
        entry.AddRange(Field(new byte[32]));             // previous hash
        entry.AddRange(Field(new byte[32]));             // entry hash
        entry.AddRange(Field(new byte[64]));             // receipt signature
        byte[] payload = [0, 1, .. entry];
        byte[] frame = [8, 0, (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];

        using var lease = Targets.Create("vote-frames");
        long typed = 0;
        Assert.Null(FuzzRunner.Check(lease.Target, frame, ref typed));
        Assert.Equal(1, typed);
    }

    [Fact]
    public void EveryTarget_AcceptsItsOwnSeeds()
    {
        // The seeds are valid inputs: a target that refused them would fuzz nothing but its first check.
        foreach (var name in new[] { "chat-frames", "km-frames", "vote-frames", "ftp-commands" })
        {
            using var lease = Targets.Create(name);
            long typed = 0;
            foreach (var seed in lease.Target.Seeds.Take(lease.Target.Seeds.Count - 1))
            {
                Assert.Null(FuzzRunner.Check(lease.Target, seed, ref typed));
            }

            Assert.True(typed <= (name == "km-frames" ? lease.Target.Seeds.Count : 0), $"{name}: {typed} seeds refused");
        }
    }

    private static byte[] BigEndian(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Field(byte[] value) => [(byte)(value.Length >> 8), (byte)value.Length, .. value];

    /// <summary>PKCS#8 with its curve OID 1.2.840.10045.3.1.7 changed to 1.2.840.10045.3.1.99 (no such curve).</summary>
    private static byte[] CorruptCurve(byte[] pkcs8)
    {
        byte[] p256 = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        int at = pkcs8.AsSpan().IndexOf(p256);
        Assert.True(at > 0);
        var copy = (byte[])pkcs8.Clone();
        copy[at + p256.Length - 1] = 0x63;
        _ = new AsnReader(copy, AsnEncodingRules.DER).ReadSequence(); // still well-formed DER
        return copy;
    }
}
