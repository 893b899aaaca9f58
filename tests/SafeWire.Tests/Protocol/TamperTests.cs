using System.Text;
using SafeWire.Protocol;
using SafeWire.Protocol.Records;
using SafeWire.Tests.Support;

namespace SafeWire.Tests.Protocol;

/// <summary>Record integrity over a recorded, reproducible session: every single-bit change, replay, reorder, drop.</summary>
public sealed class TamperTests
{
    public static TheoryData<CipherSuite> Suites() => [.. Enum.GetValues<CipherSuite>()];

    [Theory]
    [MemberData(nameof(Suites))]
    public void EveryBitFlip_InEitherDirection_IsDetected(CipherSuite suite)
    {
        using var serverKey = DeterministicSession.ServerCredential();
        var segments = Record(serverKey, suite);

        // The untampered replay succeeds (so a failure below is caused by the flip, not by the replay).
        Assert.Null(Replay(serverKey, suite, segments, target: -1, bit: 0, receiverIsClient: true));
        Assert.Null(Replay(serverKey, suite, segments, target: -1, bit: 0, receiverIsClient: false));

        int checkedBits = 0;
        for (int target = 0; target < segments.Count; target++)
        {
            // Every bit of every record for the default suite. For the others (to keep CI fast) every bit of the
            // application records and one bit of every byte of the handshake flights, whose plaintext parts are shared.
            bool everyBit = suite == CipherSuite.Aes256Gcm || segments[target].Label.Contains("application", StringComparison.Ordinal) || segments[target].Label.Contains("close", StringComparison.Ordinal);
            for (int bit = 0; bit < segments[target].Bytes.Length * 8; bit += everyBit ? 1 : 9)
            {
                var outcome = Replay(serverKey, suite, segments, target, bit, receiverIsClient: !segments[target].FromClient);
                Assert.True(outcome is not null, $"Flipping bit {bit} of segment {target} ({segments[target].Label}) was not detected.");
                checkedBits++;
            }
        }

        Assert.True(checkedBits > 1500, $"only {checkedBits} bits checked");
    }

    [Fact]
    public void ReplayedReorderedAndDroppedRecords_FailAuthentication()
    {
        // Replay (0 then 0 again), reorder (1 before 0), drop (0 then 2): the last record fed must fail.
        foreach (var scenario in new[] { new[] { 0, 0 }, new[] { 1 }, new[] { 0, 2 } })
        {
            using var serverKey = DeterministicSession.ServerCredential();
            using var pair = new ConnectionPair(DeterministicSession.Client(serverKey), DeterministicSession.Server(serverKey));
            pair.Handshake();
            var records = new List<byte[]>();
            var buffer = new byte[ProtocolConnection.MaxSealedOutput];
            for (int i = 0; i < 3; i++)
            {
                int n = pair.Server.SealApplicationData(Encoding.ASCII.GetBytes("record " + i), buffer);
                records.Add(buffer.AsSpan(0, n).ToArray());
            }

            var result = new FeedResult();
            foreach (var index in scenario[..^1])
            {
                ConnectionPair.Feed(pair.Client, (byte[])records[index].Clone(), result);
            }

            var error = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Client, (byte[])records[scenario[^1]].Clone(), result));
            Assert.Equal(Alert.BadRecordMac, error.Alert);
        }
    }

    [Fact]
    public void AnnouncedLengthAboveMaximum_IsRefusedFromTheHeaderAlone()
    {
        var header = new byte[ProtocolConstants.RecordHeaderLength];
        RecordHeader.Write(header, ContentType.ApplicationData, new byte[16], 0);
        header[19] = 0xFF;
        header[20] = 0xFF;
        var error = Assert.Throws<ProtocolException>(() => RecordHeader.TryRead(header, out _));
        Assert.Equal(Alert.RecordOverflow, error.Alert);

        // Exactly the maximum is fine: the check is on the boundary.
        header[19] = (byte)(ProtocolConstants.MaxCiphertext >> 8);
        header[20] = unchecked((byte)ProtocolConstants.MaxCiphertext);
        Assert.True(RecordHeader.TryRead(header, out var ok));
        Assert.Equal(ProtocolConstants.MaxCiphertext, ok.Length);
    }

    [Fact]
    public void ApplicationDataUnderHandshakeKeys_IsRefused()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var client = new ProtocolConnection(DeterministicSession.Client(serverKey));
        Assert.Throws<InvalidOperationException>(() => client.SealApplicationData("early"u8, new byte[ProtocolConnection.MaxSealedOutput]));
    }

    /// <summary>Records a short session: handshake, one message each way, close_notify both ways.</summary>
    internal static List<Segment> Record(SafeWire.Identity.LocalCredential serverKey, CipherSuite suite)
    {
        using var pair = new ConnectionPair(DeterministicSession.Client(serverKey, suite), DeterministicSession.Server(serverKey));
        pair.Handshake();
        pair.SendApplicationData(true, "ping"u8, "client application data");
        pair.SendApplicationData(false, "pong"u8, "server application data");
        pair.Close(true);
        pair.Close(false);
        Assert.Equal("ping", Encoding.ASCII.GetString(pair.ServerReceived.ApplicationData.ToArray()));
        Assert.Equal("pong", Encoding.ASCII.GetString(pair.ClientReceived.ApplicationData.ToArray()));
        return pair.Segments;
    }

    /// <summary>
    /// Replays what one side received (with bit <paramref name="bit"/> of segment <paramref name="target"/> flipped)
    /// into a fresh deterministic endpoint. Returns how the change was detected, or null if the receiver accepted
    /// the whole session (the expected data, then close_notify).
    /// </summary>
    private static string? Replay(SafeWire.Identity.LocalCredential serverKey, CipherSuite suite, List<Segment> segments, int target, int bit, bool receiverIsClient)
    {
        using var receiver = new ProtocolConnection(receiverIsClient ? DeterministicSession.Client(serverKey, suite) : DeterministicSession.Server(serverKey));
        var result = new FeedResult();
        try
        {
            for (int i = 0; i < segments.Count; i++)
            {
                if (segments[i].FromClient == receiverIsClient)
                {
                    continue;
                }

                var bytes = (byte[])segments[i].Bytes.Clone();
                if (i == target)
                {
                    bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                }

                ConnectionPair.Feed(receiver, bytes, result);
                receiver.ClearOutput();
            }
        }
        catch (ProtocolException e)
        {
            return e.Alert.ToString();
        }

        if (result.Leftover > 0 || !result.CloseNotify)
        {
            return "truncated";
        }

        var expected = receiverIsClient ? "pong" : "ping";
        Assert.Equal(expected, Encoding.ASCII.GetString(result.ApplicationData.ToArray()));
        return null;
    }
}
