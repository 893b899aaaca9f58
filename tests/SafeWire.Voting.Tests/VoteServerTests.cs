using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Voting.Protocol;

namespace SafeWire.Voting.Tests;

/// <summary>The server shell over real loopback connections (plain streams: the exchange itself does not depend on the channel).</summary>
public class VoteServerTests
{
    [Fact]
    public async Task Hundred_parallel_submissions_by_one_voter_over_separate_connections_count_once()
    {
        await using var election = await TestElection.CreateAsync(candidates: 3, maxScore: 9, voters: 1);
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            Task.Run(() => election.CastAsync(election.Voters[0], [$"{i % 10}{i / 10}*"]), TestContext.Current.CancellationToken)));

        var accepted = Assert.Single(results, r => r.Accepted);
        Assert.All(results.Where(r => !r.Accepted), r => Assert.Equal(VoteRefusal.AlreadyVoted, r.Refusal));
        var counted = await election.Store.ReadCountedBallotsAsync(election.Name, TestContext.Current.CancellationToken);
        Assert.Single(counted);
        Assert.Single(await election.Store.ReadBoardAsync(election.Name, 0, 1000, TestContext.Current.CancellationToken));
        Assert.Equal(1, accepted.Receipt!.Sequence);
    }

    [Fact]
    public async Task Identical_parallel_resends_all_get_the_one_receipt()
    {
        await using var election = await TestElection.CreateAsync(candidates: 3, maxScore: 9, voters: 1);
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => election.CastAsync(election.Voters[0], ["123"]), TestContext.Current.CancellationToken)));
        Assert.All(results, r => Assert.Equal(1, r.Receipt!.Sequence));
        Assert.Equal(19, results.Count(r => r.SameAsEarlierBallot));
    }

    [Fact]
    public async Task Board_over_the_wire_matches_the_store_and_every_receipt_checks_out()
    {
        await using var election = await TestElection.CreateAsync(candidates: 3, maxScore: 9, allowRevote: true, voters: 3);
        var receipts = new List<Receipt>();
        foreach (var (voter, ballot) in new[] { (0, "123"), (1, "**9"), (0, "321"), (2, "000") })
        {
            receipts.Add((await election.CastAsync(election.Voters[voter], [ballot])).Receipt!);
        }

        var (client, server) = await LoopbackPair.CreateAsync();
        var serving = election.Server.HandleConnectionAsync(server, TestContext.Current.CancellationToken);
        var (served, board) = await VoteClient.ReadBoardAsync(client, null, 1000, TestContext.Current.CancellationToken);
        await serving;
        Assert.Equal(election.Name, served);
        Assert.Equal(4, board.Count);
        Assert.Empty(BoardAudit.VerifyChain(election.Name, board, election.ReceiptKey));
        Assert.Equal(ReceiptStatus.Replaced, BoardAudit.CheckReceipt(receipts[0], board, election.ReceiptKey).Status);
        Assert.Equal(ReceiptStatus.Counted, BoardAudit.CheckReceipt(receipts[2], board, election.ReceiptKey).Status);

        // Tampering with a copy of the board: each kind of change is caught.
        var modified = board.ToList();
        modified[1] = modified[1] with { BallotHash = modified[3].BallotHash };
        Assert.Contains(BoardAudit.VerifyChain(election.Name, modified, election.ReceiptKey), p => p.Contains("modified entry", StringComparison.Ordinal));
        Assert.Equal(ReceiptStatus.BoardBroken, BoardAudit.CheckReceipt(receipts[3], modified, election.ReceiptKey).Status);
        var dropped = board.Where(e => e.Sequence != 2).ToList();
        Assert.Contains(BoardAudit.VerifyChain(election.Name, dropped, election.ReceiptKey), p => p.Contains("previous hash", StringComparison.Ordinal));
        var truncated = board.Take(2).ToList();
        Assert.Equal(ReceiptStatus.Missing, BoardAudit.CheckReceipt(receipts[3], truncated, election.ReceiptKey).Status);
        var forged = receipts[3] with { Signature = receipts[2].Signature };
        Assert.Equal(ReceiptStatus.BadSignature, BoardAudit.CheckReceipt(forged, board, election.ReceiptKey).Status);
        using var otherKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        Assert.Contains(BoardAudit.VerifyChain(election.Name, board, otherKey), p => p.Contains("receipt signature", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_oversized_length_is_refused_before_anything_is_allocated()
    {
        await using var election = await TestElection.CreateAsync();
        var (client, server) = await LoopbackPair.CreateAsync();
        var serving = election.Server.HandleConnectionAsync(server, TestContext.Current.CancellationToken);
        var header = new byte[4];
        header[0] = (byte)VoteMessageType.VoterId;
        header[1] = 0xFF; // 16 MiB - 1: far above the 64 KiB limit
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 0xFFFF);
        await client.WriteAsync(header, TestContext.Current.CancellationToken);
        using var channel = new VoteChannel(client);
        var answer = await channel.ReceiveAsync(TestContext.Current.CancellationToken);
        Assert.Equal(VoteMessageType.No, answer!.Value.Type);
        Assert.Equal(VoteRefusal.Malformed, NoMessage.Decode(answer.Value.Payload.Span).Refusal);
        var report = await serving.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.StartsWith("protocol error: VoterId frame of 16777215 bytes is over the 65536-byte limit", report.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_client_is_dropped_after_the_idle_timeout()
    {
        await using var election = await TestElection.CreateAsync();
        var quick = new VoteServer(election.Context, election.Store, election.Signer, new VoteServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        var (client, server) = await LoopbackPair.CreateAsync();
        await using (client)
        {
            var report = await quick.HandleConnectionAsync(server, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Assert.Equal("timed out", report.Outcome);
        }
    }

    [Fact]
    public async Task The_vote_channel_authenticates_the_server_by_a_certificate_from_the_credentials_ca()
    {
        using var home = new TempDirectory();
        var safeHome = new SafeWireHome(home.Path);
        using var credential = safeHome.LoadOrCreateServerCredential("vote-server", ["localhost"], [IPAddress.Loopback]);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serverSide = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                using var accepted = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
                try
                {
                    await using var secure = await VoteTransport.AcceptAsync(accepted.GetStream(), credential, TestContext.Current.CancellationToken);
                    var buffer = new byte[5];
                    await secure.ReadExactlyAsync(buffer, TestContext.Current.CancellationToken);
                    await secure.WriteAsync(buffer, TestContext.Current.CancellationToken);
                }
                catch (IOException)
                {
                    // The second client refuses the certificate.
                }
            }
        }, TestContext.Current.CancellationToken);

        var trusted = VoteTransport.ServerVerifier(VoteTransport.CaCertificatePem(safeHome), safeHome);
        await using (var stream = await VoteTransport.ConnectAsync("127.0.0.1", port, trusted, "127.0.0.1", TestContext.Current.CancellationToken))
        {
            Assert.Equal("vote-server", stream.RemoteIdentity!.Name);
            await stream.WriteAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
            var back = new byte[5];
            await stream.ReadExactlyAsync(back, TestContext.Current.CancellationToken);
            Assert.Equal("hello"u8.ToArray(), back);
        }

        using var otherHome = new TempDirectory();
        var other = new SafeWireHome(otherHome.Path);
        var untrusted = VoteTransport.ServerVerifier(VoteTransport.CaCertificatePem(other), other);
        var refused = await Assert.ThrowsAnyAsync<IOException>(() => VoteTransport.ConnectAsync("127.0.0.1", port, untrusted, "127.0.0.1", TestContext.Current.CancellationToken));
        Assert.Contains("trusted CA", refused.Message, StringComparison.Ordinal);
        await serverSide.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
    }
}
