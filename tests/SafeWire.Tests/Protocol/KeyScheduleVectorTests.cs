using System.Security.Cryptography;
using SafeWire.Protocol.KeySchedule;

namespace SafeWire.Tests.Protocol;

/// <summary>
/// The key schedule's construction checked against published values:
/// RFC 5869 A.1 and RFC 8448 §3 / §5, run with TLS 1.3's "tls13 " label prefix.
/// </summary>
public sealed class KeyScheduleVectorTests
{
    private static readonly KeyDerivation s_tls = KeyDerivation.Tls13Sha256;

    // RFC 5869 Appendix A.1, Test Case 1 (SHA-256).
    [Fact]
    public void Rfc5869_TestCase1()
    {
        var ikm = Convert.FromHexString("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        var salt = Convert.FromHexString("000102030405060708090a0b0c");
        var info = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9");
        var prk = s_tls.Extract(salt, ikm);
        Assert.Equal("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", Hex(prk));
        var okm = new byte[42];
        HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, info);
        Assert.Equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", Hex(okm));
    }

    // RFC 8448 §5 (HelloRetryRequest trace): P-256 ECDHE with .NET's ECDiffieHellman.
    [Fact]
    public void Rfc8448_P256_SharedSecret()
    {
        using var client = ImportP256("ab5473467e19346ceb0a0414e41da21d4d2445bc3025afe97c4e8dc8d513da39",
            "04a6da7392ec591e17abfd535964b99894d13befb221b3def2ebe3830eac8f0151812677c4d6d2237e85cf01d6910cfb83954e76ba7352830534159897e8065780");
        using var server = ImportP256("8c510601f9765bfb8ed693449a48989859b5cfa879cb9f5443c41c5ff10634ed",
            "04583e054b7a66672ae020ad9d2686fcc85b5ad41a134a0f03ee72b893052bd85b4c8de6776f5b04ac07d83540eab3e3d9c547bc6528c4317d294686093a6cad7d");
        Assert.Equal("c142ce13ca11b5c2233652e63ad3d97844f1621fbfb9de69d547dc8fedeabeb4", Hex(client.DeriveRawSecretAgreement(server.PublicKey)));
        Assert.Equal("c142ce13ca11b5c2233652e63ad3d97844f1621fbfb9de69d547dc8fedeabeb4", Hex(server.DeriveRawSecretAgreement(client.PublicKey)));
    }

    // RFC 8448 §5: every key-schedule value of the P-256 trace, through the typed stages.
    [Fact]
    public void Rfc8448_P256_KeySchedule()
    {
        using var early = EarlySecret.Create(s_tls, []);
        Assert.Equal("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a", Hex(early.Value));

        using var handshake = early.ToHandshakeSecret(Convert.FromHexString("c142ce13ca11b5c2233652e63ad3d97844f1621fbfb9de69d547dc8fedeabeb4"));
        Assert.Equal("ce022e5e6e81e50736d773f2d3adfce8220d049bf510f0dbfac927ef4243b148", Hex(handshake.Value));

        var helloHash = Convert.FromHexString("8aa8e828ec2f8a884fec95a3139de01c15a3daa7ff5bfc3f4bfcc21b438d7bf8");
        using var clientHs = handshake.ClientTrafficSecret(helloHash);
        using var serverHs = handshake.ServerTrafficSecret(helloHash);
        Assert.Equal("158aa7ab8855073582b41d674b4055cabcc534728f659314861b4e08e2011566", Hex(clientHs.Value));
        Assert.Equal("3403e781e2af7b6508da28574f6e95a1abf162de83a97927c37672a4a0cef8a1", Hex(serverHs.Value));
        Assert.Equal("4646bfac1712c426cd78d8a24a8a6f6b", Hex(Key(serverHs, "key", 16)));
        Assert.Equal("c7d395c08d62f297d13768ea", Hex(Key(serverHs, "iv", 12)));
        // Finished keys of this trace (RFC 8448 §5, "finished" key lines).
        Assert.Equal("e7f8bb3ea4b6c30c4710b3d09c3313658117e70b097e850368e2510ca5631f74", Hex(serverHs.FinishedKey()));
        Assert.Equal("81be4131fbb9b6f4471450846f74fd1e68c5224ba7c2a8677f5c53ad226fdc13", Hex(clientHs.FinishedKey()));

        using var master = handshake.ToMasterSecret();
        Assert.Equal("1131545d0baf79ddce9b87f06945781a57dd18ef378dcd2060f8f9a569027ed8", Hex(master.Value));

        var finishedHash = Convert.FromHexString("50f63cbf36b0dd049e7a0ba27d6455745ea2aaac54bb167f9950b2b7ce9509da");
        using var clientAp = master.ClientTrafficSecret(finishedHash);
        using var serverAp = master.ServerTrafficSecret(finishedHash);
        using var exporter = master.ExporterSecret(finishedHash);
        Assert.Equal("75ecf4b972525aa0dcd057c9944d4cd5d82671d8843141d7dc2a4ff15a21dc51", Hex(clientAp.Value));
        Assert.Equal("5c74f87df04225db0f8209c9de6429e49435fdefa7cad61864874d12f31cfc8d", Hex(serverAp.Value));
        Assert.Equal("7c06d3ae106a3a374ace4837b3985cac67780a6e2c5c04b58319d584df09d223", Hex(exporter.Value));
    }

    // RFC 8448 §5: the 667-octet server flight record decrypts under the derived handshake key.
    [Fact]
    public void Rfc8448_P256_ServerFlightRecordDecrypts()
    {
        var record = Convert.FromHexString(ServerFlightRecord);
        Assert.Equal(667, record.Length);
        using var early = EarlySecret.Create(s_tls, []);
        using var handshake = early.ToHandshakeSecret(Convert.FromHexString("c142ce13ca11b5c2233652e63ad3d97844f1621fbfb9de69d547dc8fedeabeb4"));
        using var serverHs = handshake.ServerTrafficSecret(Convert.FromHexString("8aa8e828ec2f8a884fec95a3139de01c15a3daa7ff5bfc3f4bfcc21b438d7bf8"));

        // nonce = iv XOR sequence number 0; AAD = the 5-byte TLS record header.
        using var gcm = new AesGcm(Key(serverHs, "key", 16), 16);
        var plaintext = new byte[record.Length - 5 - 16];
        gcm.Decrypt(Key(serverHs, "iv", 12), record.AsSpan(5, plaintext.Length), record.AsSpan(record.Length - 16), plaintext, record.AsSpan(0, 5));

        Assert.Equal(646, plaintext.Length);
        Assert.Equal(0x16, plaintext[^1]);
        Assert.Equal("14000020" + "8863e6bfb0420a927fa27f34336a70ae426e968e3eb884945b96856dba3976d1", Hex(plaintext.AsSpan(645 - 36, 36)));

        // A flipped bit anywhere in the record must fail authentication.
        record[100] ^= 1;
        Assert.Throws<AuthenticationTagMismatchException>(() =>
            gcm.Decrypt(Key(serverHs, "iv", 12), record.AsSpan(5, plaintext.Length), record.AsSpan(record.Length - 16), plaintext, record.AsSpan(0, 5)));
    }

    // RFC 8448 §3 (x25519 trace): the shared secret fed straight in; the whole chain to the resumption PSK.
    [Fact]
    public void Rfc8448_Simple1Rtt_KeySchedule()
    {
        using var early = EarlySecret.Create(s_tls, []);
        Assert.Equal("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba", Hex(s_tls.DeriveSecret(early.Value, "derived", s_tls.EmptyHash)));
        using var handshake = early.ToHandshakeSecret(Convert.FromHexString("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"));
        Assert.Equal("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac", Hex(handshake.Value));

        var helloHash = Convert.FromHexString("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
        using var clientHs = handshake.ClientTrafficSecret(helloHash);
        using var serverHs = handshake.ServerTrafficSecret(helloHash);
        Assert.Equal("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21", Hex(clientHs.Value));
        Assert.Equal("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38", Hex(serverHs.Value));
        Assert.Equal("3fce516009c21727d0f2e4e86ee403bc", Hex(Key(serverHs, "key", 16)));
        Assert.Equal("5d313eb2671276ee13000b30", Hex(Key(serverHs, "iv", 12)));
        Assert.Equal("dbfaa693d1762c5b666af5d950258d01", Hex(Key(clientHs, "key", 16)));
        Assert.Equal("5bd3c71b836e0b76bb73265f", Hex(Key(clientHs, "iv", 12)));
        Assert.Equal("008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8", Hex(serverHs.FinishedKey()));

        using var master = handshake.ToMasterSecret();
        Assert.Equal("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919", Hex(master.Value));
        var finishedHash = Convert.FromHexString("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13");
        using var clientAp = master.ClientTrafficSecret(finishedHash);
        using var serverAp = master.ServerTrafficSecret(finishedHash);
        using var exporter = master.ExporterSecret(finishedHash);
        Assert.Equal("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5", Hex(clientAp.Value));
        Assert.Equal("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643", Hex(serverAp.Value));
        Assert.Equal("fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50", Hex(exporter.Value));
        Assert.Equal("9f02283b6c9c07efc26bb9f2ac92e356", Hex(Key(serverAp, "key", 16)));
        Assert.Equal("cf782b88dd83549aadf1e984", Hex(Key(serverAp, "iv", 12)));
        Assert.Equal("17422dda596ed5d9acd890e3c63f5051", Hex(Key(clientAp, "key", 16)));
        Assert.Equal("5b78923dee08579033e523d9", Hex(Key(clientAp, "iv", 12)));

        using var resumption = master.ResumptionSecret(Convert.FromHexString("209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d"));
        Assert.Equal("7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c", Hex(resumption.Value));
        Assert.Equal("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3", Hex(resumption.TicketPsk([0, 0])));

        using var next = clientAp.Next();
        Assert.Equal("fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207", Hex(next.Value));
    }

    // RFC 8446 §4.4.3's own example of the CertificateVerify signed-content layout.
    [Fact]
    public void Rfc8446_CertificateVerifyContentLayout()
    {
        var content = SafeWire.Protocol.Handshake.HandshakeCrypto.SignedContent("TLS 1.3, server CertificateVerify"u8, Enumerable.Repeat((byte)1, 32).ToArray());
        Assert.Equal(
            string.Concat(Enumerable.Repeat("20", 64)) + "544c5320312e332c20736572766572204365727469666963617465566572696679000101010101010101010101010101010101010101010101010101010101010101",
            Hex(content));
    }

    [Fact]
    public void ProductionPrefix_IsSafeWiresOwn()
    {
        Assert.Equal("safewire1 ", KeyDerivation.SafeWire.LabelPrefix);
        using var tls = EarlySecret.Create(KeyDerivation.Tls13Sha256, []);
        using var ours = EarlySecret.Create(KeyDerivation.SafeWire, []);
        // Extract has no label, so the early secrets agree; every labelled derivation must not.
        Assert.Equal(Hex(tls.Value), Hex(ours.Value));
        Assert.NotEqual(Hex(KeyDerivation.Tls13Sha256.DeriveSecret(tls.Value, "derived", KeyDerivation.Tls13Sha256.EmptyHash)),
            Hex(KeyDerivation.SafeWire.DeriveSecret(ours.Value, "derived", KeyDerivation.SafeWire.EmptyHash)));
    }

    private static byte[] Key(TrafficSecret secret, string label, int length)
    {
        var key = new byte[length];
        secret.DeriveKey(label, key);
        return key;
    }

    private static ECDiffieHellman ImportP256(string privateHex, string publicHex)
    {
        var pub = Convert.FromHexString(publicHex);
        return ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = Convert.FromHexString(privateHex),
            Q = new ECPoint { X = pub[1..33], Y = pub[33..] },
        });
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    // RFC 8448 §5, "{server} send handshake record": 667 octets, header 17 03 03 02 96.
    private const string ServerFlightRecord =
        "170303029699bee20baf5b7fc727bfab6223928a381e6d0cf9c4da653f9d2a7b23f7de11cce842d5cf75631763450ffb" +
        "8b0cc1d238e658af7a12adc86243114ab14a1da2fae42621ce483fb6242eabfaad52566b02b31d2eddedefeb80e66a99" +
        "00d5f973b40c4fdf74719ecf1b68d7f9c3b6ceb903ca13dd1bb8f8187ae33417e1d152522c5822a1a03ad52c838c5595" +
        "3d610222874cce8e1790b229a2aa0b53c8d377ee720182951dc6181dc5d90bd1f0105ed1e84aa5f75957c6661897079e" +
        "5ea5007449e3197bdc7c9beeedddeafdd844afa5c315ecfe65e576afe909812880620ec7048b42d7f5c78d76f299d6d8" +
        "2534bdd8f512febc0ed3814aca470cd8000d3e1cb9962b052fbb950df683a52c2ba77ed3713b122937a6e5170964e2ab" +
        "7969dcd980b3db9b458da7603124d6dc005e4d6e04b4d0c4baf3275db827dbba0a6db09672171fc057b3851d7e026841" +
        "e2978fbd2346bbefdd0376bb1108fe9acc92189f5650aa5e85d8e8c7b67ac510dba003d3d7e16350bb66d45013efd44c" +
        "9b607c0d318c4c7d1a1f5cbc57e20611804e3787d7b4a4b5f08ed8fd70bdaeade02260b12ab842ef690b4a3ee7911e84" +
        "1b374ecd5ebbbc2a54d047b600336dd7d0c88b4bc10e58ee6cb656de7247fa20d8e91deb84628608cf80615b62e96c14" +
        "91c7ac3755eb6901405d3474fe1ac79d106a0cee56c2577fc88480f96cb6b8c681b7b68b53c146093908f350888175bd" +
        "fb0b1e31ad61e30ba0adfe6d223aa03c0783b5001a57587c328a9afcfcfb978d1cd4328f7d9d60530e630befd96c0c81" +
        "6ee20b0100768ae2a6df51fc68f172740a79af11398ee3be1252491fa9c693479e877f94ab7c5f8cad480203e6ab7b87" +
        "dd71e8a0729113df17f5eee86ce108d1d72007ec1cd13c85a6c149621e77b7d78d805a30f0be030c315e54";
}
