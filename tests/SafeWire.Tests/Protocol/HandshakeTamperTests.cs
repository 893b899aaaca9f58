using SafeWire.Protocol;
using SafeWire.Tests.Support;

namespace SafeWire.Tests.Protocol;

/// <summary>Active attacks on the handshake, run on the sans-I/O core: each fails with its own alert.</summary>
public sealed class HandshakeTamperTests
{
    // Offsets in the first flight: record header (21) + handshake header (4), then the ClientHello body.
    private const int ClientHelloVersion = 25;
    private const int ClientHelloFirstSuite = 25 + 2 + 32 + 1;
    private const int ClientHelloKeyShare = ClientHelloFirstSuite + (3 * 2); // the length byte; the point follows
    private const int ServerHelloKeyShare = 25 + 2 + 32 + 2 + 16; // the length byte; the point follows

    [Fact]
    public void UnsupportedVersionInClientHello_ProtocolVersion()
    {
        var error = ServerRejects(hello => hello[ClientHelloVersion + 1] = 0x02);
        Assert.Equal(Alert.ProtocolVersion, error.Alert);
        Assert.Contains("0x5702", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedVersionInRecordHeader_ProtocolVersion()
    {
        Assert.Equal(Alert.ProtocolVersion, ServerRejects(hello => hello[2] = 0x00).Alert);
    }

    [Fact]
    public void DowngradedSuiteOffer_FailsTheTranscriptCheck()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var pair = new ConnectionPair(DeterministicSession.Client(serverKey), DeterministicSession.Server(serverKey));
        var hello = pair.Client.Output.ToArray();
        pair.Client.ClearOutput();
        Assert.Equal(0x01, hello[ClientHelloFirstSuite + 1]);
        hello[ClientHelloFirstSuite + 1] = 0x03; // an attacker strikes AES-GCM from the offer

        ConnectionPair.Feed(pair.Server, hello, new FeedResult());
        var flight = pair.Server.Output.ToArray();
        Assert.Equal((byte)CipherSuite.Aes256CbcHmacSha256, flight[25 + 2 + 32 + 1]); // the server was fooled into the client's "first choice"...

        // ...but the handshake keys come from Transcript-Hash(ClientHello..ServerHello), which now differs between
        // the two ends: the client cannot even open the server's first encrypted record.
        var error = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Client, flight, new FeedResult()));
        Assert.Equal(Alert.BadRecordMac, error.Alert);
    }

    public static TheoryData<string> InvalidPoints() =>
    [
        "04" + new string('0', 128),                                         // (0, 0): not on the curve
        "04" + new string('f', 128),                                         // coordinates above the field prime
        "02" + new string('1', 128),                                         // not the uncompressed form
        "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" +
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f6", // the generator with y flipped in its last byte
    ];

    [Theory]
    [MemberData(nameof(InvalidPoints))]
    public void InvalidCurvePointFromClient_IllegalParameter(string pointHex)
    {
        var point = Convert.FromHexString(pointHex);
        Assert.Equal(Alert.IllegalParameter, ServerRejects(hello => point.CopyTo(hello, ClientHelloKeyShare + 1)).Alert);
    }

    [Theory]
    [MemberData(nameof(InvalidPoints))]
    public void InvalidCurvePointFromServer_IllegalParameter(string pointHex)
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var pair = new ConnectionPair(DeterministicSession.Client(serverKey), DeterministicSession.Server(serverKey));
        ConnectionPair.Feed(pair.Server, pair.Client.Output.ToArray(), new FeedResult());
        var flight = pair.Server.Output.ToArray();
        Convert.FromHexString(pointHex).CopyTo(flight, ServerHelloKeyShare + 1);
        var error = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Client, flight, new FeedResult()));
        Assert.Equal(Alert.IllegalParameter, error.Alert);
    }

    [Fact]
    public void RandomBytesAtEveryHandshakeStep_AreProtocolErrors()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        var segments = TamperTests.Record(serverKey, CipherSuite.Aes256Gcm);
        var rng = new Random(42);
        for (int step = 0; step < segments.Count; step++)
        {
            for (int attempt = 0; attempt < 20; attempt++)
            {
                bool toClient = !segments[step].FromClient;
                using var receiver = new ProtocolConnection(toClient ? DeterministicSession.Client(serverKey) : DeterministicSession.Server(serverKey));
                var result = new FeedResult();
                foreach (var earlier in segments.Take(step).Where(s => s.FromClient != toClient))
                {
                    ConnectionPair.Feed(receiver, (byte[])earlier.Bytes.Clone(), result);
                }

                var garbage = new byte[attempt % 2 == 0 ? segments[step].Bytes.Length : rng.Next(1, 600)];
                rng.NextBytes(garbage);
                if (attempt % 4 == 1)
                {
                    // A plausible header in front, so the body parsers see the garbage.
                    garbage[0] = (byte)(step < 2 ? 22 : 23);
                    if (garbage.Length > 2)
                    {
                        garbage[1] = 0x57;
                        garbage[2] = 0x01;
                    }
                }

                try
                {
                    ConnectionPair.Feed(receiver, garbage, result);
                    Assert.True(result.Leftover > 0, $"random bytes at step {step} were accepted");
                }
                catch (ProtocolException)
                {
                    // The only acceptable failure type.
                }
            }
        }
    }

    private static ProtocolException ServerRejects(Action<byte[]> tamper)
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var pair = new ConnectionPair(DeterministicSession.Client(serverKey), DeterministicSession.Server(serverKey));
        var hello = pair.Client.Output.ToArray();
        tamper(hello);
        return Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Server, hello, new FeedResult()));
    }
}
