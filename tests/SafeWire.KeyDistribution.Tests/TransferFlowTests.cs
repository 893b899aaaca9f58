using System.Security.Cryptography;
using SafeWire.KeyDistribution.Peer;
using SafeWire.KeyDistribution.Tests.Support;
using SafeWire.KeyDistribution.Wire;
using SafeWire.TestSupport;

namespace SafeWire.KeyDistribution.Tests;

/// <summary>The seed's flow end to end in-process: a key manager and two peers over loopback TCP (identities stated, not proven).</summary>
public class TransferFlowTests
{
    private sealed record PairResult(VerdictMessage SenderVerdict, VerdictMessage ReceiverVerdict, TransferOutcome? Sent, TransferOutcome? Received, PairedMessage Paired, RecordingUi SenderUi, RecordingUi ReceiverUi);

    private static async Task<PairResult> RunPairAsync(KmHarness km, TransferMode mode, IReadOnlyList<string> files, Func<FileOffer, string?> decide, ListenSettings? listen = null, Func<PairedMessage, Task>? afterPairing = null)
    {
        var ct = Timeouts.Token(60);
        var (bob, bobChannels) = await km.ConnectAsync("bob");
        var (alice, aliceChannels) = await km.ConnectAsync("alice");
        await using (bob)
        await using (alice)
        {
            await bob.WaitAsync(ct);
            var waiting = await alice.ListWaitingAsync(ct);
            Assert.Contains(waiting, p => p.Name == "bob" && p.Fingerprint == bobChannels.Me.Fingerprint);
            var bobPaired = bob.AwaitPairingAsync(ct);
            var paired = await alice.ConnectAsync("bob", mode, ct);
            Assert.Equal(TransferRole.Sender, paired.Role);
            Assert.Equal(bobChannels.Me.Fingerprint, paired.PeerFingerprint);
            var receiverPaired = await bobPaired;
            Assert.Equal(aliceChannels.Me.Fingerprint, receiverPaired.PeerFingerprint);
            if (afterPairing is not null)
            {
                await afterPairing(paired);
            }

            var senderUi = new RecordingUi(_ => null);
            var receiverUi = new RecordingUi(decide);
            var receiving = new PeerRunner(bob, bobChannels, receiverUi, TimeProvider.System) { ConnectTimeout = TimeSpan.FromSeconds(20) }
                .RunReceiverAsync(receiverPaired, listen ?? new ListenSettings(), ct);
            var sending = new PeerRunner(alice, aliceChannels, senderUi, TimeProvider.System) { ConnectTimeout = TimeSpan.FromSeconds(20) }
                .RunSenderAsync(paired, _ => ValueTask.FromResult(files), ct);
            var (senderVerdict, sent) = await sending;
            var (receiverVerdict, received) = await receiving;
            await alice.EndAsync(ct);
            await bob.EndAsync(ct);
            return new PairResult(senderVerdict, receiverVerdict, sent, received, paired, senderUi, receiverUi);
        }
    }

    private static string WriteRandomFile(TempDirectory dir, string name, int length)
    {
        var path = dir[name];
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(length));
        return path;
    }

    [Theory]
    [InlineData(TransferMode.Cbc)]
    [InlineData(TransferMode.Cfb)]
    [InlineData(TransferMode.E2e)]
    public async Task SeedFlow_FilesArriveByteIdentical_BlockCountsMatch(TransferMode mode)
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var big = WriteRandomFile(source, "big.bin", (3 * ChunkCipher.ChunkSize) + 1234);
        var empty = WriteRandomFile(source, "empty.txt", 0);
        await using var km = new KmHarness();

        var result = await RunPairAsync(km, mode, [big, empty], offer => target[offer.FileName]);

        Assert.True(result.SenderVerdict.Kind == VerdictKind.Match, result.SenderVerdict.Text + "\n" + result.SenderUi.Text + "\n" + result.ReceiverUi.Text + "\n" + km.Log.Text);
        Assert.Equal(VerdictKind.Match, result.ReceiverVerdict.Kind);
        Assert.Equal(File.ReadAllBytes(big), File.ReadAllBytes(target["big.bin"]));
        Assert.Empty(File.ReadAllBytes(target["empty.txt"]));
        Assert.Equal(2u, result.Received!.FilesTransferred);
        Assert.Equal(result.Sent!.Blocks, result.Received.Blocks);
        var expectedBlocks = mode == TransferMode.E2e ? 5UL : (ulong)((ChunkCipher.EncryptedFileLength(new FileInfo(big).Length) + 16) / 16);
        Assert.Equal(expectedBlocks, result.Sent.Blocks);
        Assert.Equal(["big.bin", "empty.txt"], Directory.GetFiles(target.Path).Select(Path.GetFileName).Order());

        var offer = result.ReceiverUi.Offers.First();
        Assert.Equal("alice", offer.SenderName);
        Assert.Equal(mode == TransferMode.E2e ? offer.PlainLength : ChunkCipher.EncryptedFileLength(offer.PlainLength), offer.EncryptedLength);
        Assert.Contains("pairing", km.Log.Text, StringComparison.Ordinal);
        Assert.Contains("Match", km.Log.Text, StringComparison.Ordinal);

        // Key material crossed the key manager only in cbc/cfb, once per peer.
        var grants = km.Journal.Frames.Count(f => f.Outgoing && f.Type == KdMessageType.KeyGrant);
        Assert.Equal(mode == TransferMode.E2e ? 0 : 2, grants);
        var record = Assert.Single(km.Server.Transfers);
        Assert.Equal(mode != TransferMode.E2e, record.KeysIssued);
        Assert.Null(record.Keys);
    }

    [Fact]
    public async Task WaiterDeclines_SenderIsTold_NothingWritten()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var file = WriteRandomFile(source, "secret.pdf", 5000);
        await using var km = new KmHarness();

        var result = await RunPairAsync(km, TransferMode.Cbc, [file], _ => null);

        Assert.Equal(["secret.pdf"], result.Sent!.Declined);
        Assert.Contains("bob declined secret.pdf", result.SenderUi.Text, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(target.Path));
        Assert.Equal(0u, result.Received!.FilesTransferred);
        Assert.Equal(VerdictKind.Match, result.SenderVerdict.Kind);
    }

    [Fact]
    public async Task Send_WithNoWaitingPeer_ListsNone_AndConnRefused()
    {
        await using var km = new KmHarness();
        var (alice, _) = await km.ConnectAsync("alice");
        await using (alice)
        {
            Assert.Empty(await alice.ListWaitingAsync(Timeouts.Token()));
            var e = await Assert.ThrowsAsync<KdException>(() => alice.ConnectAsync("bob", TransferMode.Cbc, Timeouts.Token()));
            Assert.Equal(KdError.Refused, e.Error);
            Assert.Contains("No waiting peer", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(TransferMode.Cbc)]
    [InlineData(TransferMode.Cfb)]
    public async Task RelayFlipsAByte_ReceiverRefuses_NoFileLeft_AllReportIt(TransferMode mode)
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var file = WriteRandomFile(source, "data.bin", 4 * ChunkCipher.ChunkSize);
        await using var km = new KmHarness();
        var waiterPort = FreePort.Next();
        // Flip a byte in the second chunk's ciphertext: well past the hello and the offer.
        await using var relay = new TamperingRelay(waiterPort, flipAt: ChunkCipher.ChunkSize + 20_000);

        var result = await RunPairAsync(km, mode, [file], offer => target[offer.FileName], new ListenSettings(Port: waiterPort, AdvertisedHost: "127.0.0.1", AdvertisedPort: relay.Port));

        Assert.True(relay.Flipped);
        Assert.Equal(VerdictKind.Failed, result.ReceiverVerdict.Kind);
        Assert.Equal(VerdictKind.Failed, result.SenderVerdict.Kind);
        Assert.Contains("failed its MAC", result.ReceiverVerdict.Text, StringComparison.Ordinal);
        Assert.Contains("failed its MAC", result.ReceiverUi.Text, StringComparison.Ordinal);
        Assert.Contains("Transfer failed", result.SenderUi.Text, StringComparison.Ordinal);
        Assert.Contains("Failed", (await km.VerdictFor(result.Paired.TransferId)).Kind.ToString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(target.Path));
    }

    [Fact]
    public async Task ConnectionCutMidFile_NoPartialFile_TransferFailed()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var file = WriteRandomFile(source, "data.bin", 8 * ChunkCipher.ChunkSize);
        await using var km = new KmHarness();
        var waiterPort = FreePort.Next();
        await using var relay = new TamperingRelay(waiterPort, cutAfter: 3 * ChunkCipher.ChunkSize);

        var result = await RunPairAsync(km, TransferMode.Cfb, [file], offer => target[offer.FileName], new ListenSettings(Port: waiterPort, AdvertisedHost: "127.0.0.1", AdvertisedPort: relay.Port));

        Assert.Equal(VerdictKind.Failed, result.ReceiverVerdict.Kind);
        Assert.Equal(VerdictKind.Failed, (await km.VerdictFor(result.Paired.TransferId)).Kind);
        Assert.Empty(Directory.GetFileSystemEntries(target.Path));
    }

    [Fact]
    public async Task Receiving_RemovesTemporaryFilesAKilledReceiverLeft_OnceExpired()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var file = WriteRandomFile(source, "data.bin", 1000);
        var stale = WriteRandomFile(target, ".old.bin.0A1B2C3D.part", 10);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow - PeerTransfer.StalePartAge - TimeSpan.FromHours(1));
        var recent = WriteRandomFile(target, ".recent.bin.DEADBEEF.part", 10);
        await using var km = new KmHarness();

        var result = await RunPairAsync(km, TransferMode.Cbc, [file], offer => target[offer.FileName]);

        Assert.Equal(VerdictKind.Match, result.ReceiverVerdict.Kind);
        Assert.Equal([".recent.bin.DEADBEEF.part", "data.bin"], Directory.GetFiles(target.Path, "*", new EnumerationOptions { AttributesToSkip = 0 }).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SenderLeavesKeyManager_TransferMarkedFailed_WaiterTold()
    {
        await using var km = new KmHarness();
        var ct = Timeouts.Token();
        var (bob, _) = await km.ConnectAsync("bob");
        var (alice, _) = await km.ConnectAsync("alice");
        await using (bob)
        {
            await bob.WaitAsync(ct);
            await alice.ListWaitingAsync(ct);
            var bobPaired = bob.AwaitPairingAsync(ct);
            var paired = await alice.ConnectAsync("bob", TransferMode.Cbc, ct);
            await bobPaired;
            await alice.DisposeAsync();

            var verdict = await km.VerdictFor(paired.TransferId);
            Assert.Equal(VerdictKind.Failed, verdict.Kind);
            Assert.Contains("alice left", verdict.Text, StringComparison.Ordinal);
            var e = await Assert.ThrowsAsync<KdException>(() => bob.FetchKeysAsync(paired.TransferId, ct));
            Assert.Equal(KdError.PeerFailed, e.Error);
        }
    }

    [Fact]
    public async Task SenderLeavesAfterConfirming_ListeningWaiterIsToldAtOnce()
    {
        await using var km = new KmHarness();
        var ct = Timeouts.Token(20);
        var (bob, bobChannels) = await km.ConnectAsync("bob");
        var (alice, _) = await km.ConnectAsync("alice");
        await using (bob)
        {
            await bob.WaitAsync(ct);
            await alice.ListWaitingAsync(ct);
            var bobPaired = bob.AwaitPairingAsync(ct);
            var paired = await alice.ConnectAsync("bob", TransferMode.Cfb, ct);
            var ui = new RecordingUi(_ => null);
            // The waiter's connect timeout is long; only the key manager's verdict can end this within the test's 20 s.
            var receiving = new PeerRunner(bob, bobChannels, ui, TimeProvider.System) { ConnectTimeout = TimeSpan.FromMinutes(5) }
                .RunReceiverAsync(await bobPaired, new ListenSettings(), ct);
            using (var keys = await alice.FetchKeysAsync(paired.TransferId, ct))
            {
                var mac = new byte[TransferKeys.MacSize];
                keys.ConfirmationMac(TransferRole.Sender, mac);
                await alice.ConfirmAsync(paired.TransferId, mac, ct);
            }

            await alice.ExpectConnectToAsync(paired.TransferId, ct);
            await alice.DisposeAsync();

            var (verdict, outcome) = await receiving;
            Assert.Equal(VerdictKind.Failed, verdict.Kind);
            Assert.Contains("alice left", verdict.Text, StringComparison.Ordinal);
            Assert.Null(outcome);
        }
    }

    [Fact]
    public async Task ThirdClient_PresentingTheTransfer_IsRefused_ByKeyManagerAndWaiter()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var file = WriteRandomFile(source, "a.txt", 777);
        await using var km = new KmHarness();
        var (carol, _) = await km.ConnectAsync("carol");
        await using (carol)
        {
            var waiterPort = FreePort.Next();
            KdException? refusedAtKm = null;
            string? refusedAtWaiter = null;
            var result = await RunPairAsync(km, TransferMode.Cbc, [file], offer => target[offer.FileName], new ListenSettings(Port: waiterPort), async paired =>
            {
                // Carol asks the key manager for the pair's keys.
                refusedAtKm = await Assert.ThrowsAsync<KdException>(() => carol.FetchKeysAsync(paired.TransferId, Timeouts.Token()));
                // Carol races to the waiter's socket with the transfer ID but without the keys.
                _ = Task.Run(async () =>
                {
                    for (var i = 0; i < 200; i++)
                    {
                        try
                        {
                            using var socket = new System.Net.Sockets.TcpClient();
                            await socket.ConnectAsync("127.0.0.1", waiterPort);
                            await using var connection = new KdConnection(socket.GetStream());
                            await connection.SendAsync(KdMessageType.PeerHello, w =>
                            {
                                paired.TransferId.Write(w);
                                w.Bytes16(new byte[32]);
                            }, Timeouts.Token());
                            var answer = await connection.ReadAsync(Timeouts.Token());
                            refusedAtWaiter = answer.Type == KdMessageType.PeerAbort ? KdConnection.ReadReason(answer) : answer.Type.ToString();
                            return;
                        }
                        catch (System.Net.Sockets.SocketException)
                        {
                            await Task.Delay(10);
                        }
                    }
                });
                await Task.Delay(1);
            });

            Assert.Equal(KdError.Refused, refusedAtKm!.Error);
            Assert.Contains("NotYourTransfer", refusedAtKm.Message, StringComparison.Ordinal);
            Assert.Equal(VerdictKind.Match, result.ReceiverVerdict.Kind);
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(target["a.txt"]));
            if (refusedAtWaiter is not null)
            {
                // Carol got there first: refused by key confirmation, and the real sender still succeeded.
                Assert.Contains("Key confirmation", refusedAtWaiter, StringComparison.Ordinal);
                Assert.Contains("Refused a connection", result.ReceiverUi.Text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task ReusedTransferKeys_AreRefused()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var file = WriteRandomFile(source, "a.txt", 10);
        await using var km = new KmHarness();
        var result = await RunPairAsync(km, TransferMode.Cfb, [file], offer => target[offer.FileName]);
        Assert.Equal(VerdictKind.Match, result.SenderVerdict.Kind);

        // The same identity, a new session, presenting the spent transfer: refused.
        var (alice, _) = await km.ConnectAsync("alice");
        await using (alice)
        {
            var e = await Assert.ThrowsAsync<KdException>(() => alice.FetchKeysAsync(result.Paired.TransferId, Timeouts.Token()));
            Assert.Equal(KdError.Refused, e.Error);
        }
    }

    [Fact]
    public async Task SecondFetch_IsRefusedAsReuse()
    {
        await using var km = new KmHarness();
        var ct = Timeouts.Token();
        var (bob, _) = await km.ConnectAsync("bob");
        var (alice, _) = await km.ConnectAsync("alice");
        await using (bob)
        await using (alice)
        {
            await bob.WaitAsync(ct);
            await alice.ListWaitingAsync(ct);
            var paired = await alice.ConnectAsync("bob", TransferMode.Cbc, ct);
            using var keys = await alice.FetchKeysAsync(paired.TransferId, ct);
            var e = await Assert.ThrowsAsync<KdException>(() => alice.FetchKeysAsync(paired.TransferId, ct));
            Assert.Contains("AlreadyUsed", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ExpiredTransferKeys_AreRefused()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        await using var km = new KmHarness(TimeSpan.FromSeconds(30), time);
        var ct = Timeouts.Token();
        var (bob, _) = await km.ConnectAsync("bob");
        var (alice, _) = await km.ConnectAsync("alice");
        await using (bob)
        await using (alice)
        {
            await bob.WaitAsync(ct);
            await alice.ListWaitingAsync(ct);
            var paired = await alice.ConnectAsync("bob", TransferMode.Cbc, ct);
            time.Advance(TimeSpan.FromSeconds(31));
            var e = await Assert.ThrowsAsync<KdException>(() => alice.FetchKeysAsync(paired.TransferId, ct));
            Assert.Equal(KdError.Refused, e.Error);
            Assert.Contains("Expired", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OutOfOrderCommand_IsRefusedWithExpectedList()
    {
        await using var km = new KmHarness();
        var (alice, _) = await km.ConnectAsync("alice");
        await using (alice)
        {
            var e = await Assert.ThrowsAsync<KdException>(() => alice.ConnectAsync("1", TransferMode.Cbc, Timeouts.Token()));
            Assert.Contains("Expected", e.Message, StringComparison.Ordinal);
            Assert.Contains("WrongState", e.Message, StringComparison.Ordinal);
        }
    }
}
