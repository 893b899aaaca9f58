using System.Net.Sockets;
using System.Security.Cryptography;
using SafeWire.TestSupport;
using SafeWire.Voting.Verifiable;

namespace SafeWire.Voting.Tests.Verifiable;

/// <summary>
/// A voter of a verifiable election registered by joining with a code: it asks the server for the public election (it
/// has no credential file carrying it), is served at once, and is refused on a connection its admission check refuses.
/// </summary>
public sealed class VerifiableJoinedVoterTests
{
    [Fact]
    public async Task A_joined_voter_gets_the_public_election_then_casts_and_the_admission_check_can_refuse_it()
    {
        using var temp = new TempDirectory();
        var manifest = new VerifiableManifest { Name = "town", Candidates = 2, MaxScore = 2, CandidateNames = ["Ada", "Bo"] };
        var (_, guardian) = KeyCeremony.CreateGuardian("town", 1, "G1", 1, 1);
        var election = ElectionSetup.WithJointKey(ElectionSetup.Create(manifest, 1, 1), [guardian]);
        var files = VerifiableElectionFiles.Create(temp["home"], election);
        using var store = new VerifiableBallotStore(files.DatabasePath);
        var voters = files.LoadVoters();
        var server = new VerifiableVoteServer(ElectionSetup.Open(election), voters, store) { PublicElection = election };
        using var alice = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        voters.AddJoined(files.VotersPath, "alice", alice.ExportSubjectPublicKeyInfo());
        Assert.True(files.LoadVoters().IsJoined("alice"));

        // The voter without a credential file asks for the election: it gets the public election, not the original mode's keys.
        var (report, (info, served)) = await ExchangeAsync(server, null, stream => VoteClient.ReadAnyElectionInfoAsync(stream, Timeout()));
        Assert.Null(info);
        Assert.NotNull(served);
        Assert.Equal(election.JointKey, served.JointKey);
        Assert.Equal(election.HE, served.HE);
        Assert.Equal("sent the public election", report.Outcome);

        // Encrypted under the served election and signed with the key registered at the join; refused on a connection the
        // admission check refuses (no certificate shown), recorded on one it admits.
        var ballot = BallotEncryption.Encrypt(ElectionSetup.Open(served), "alice", "2*", alice, RandomNumberGenerator.GetBytes(32));
        var (refusedReport, refused) = await ExchangeAsync(server, id => $"voter {id} joined with a code and must connect with its certificate", stream => VerifiableVoteClient.CastAsync(stream, ballot, Timeout()));
        Assert.Null(refused.Receipt);
        Assert.True(refused.Final);
        Assert.Equal("voter alice joined with a code and must connect with its certificate", refused.Reason);
        Assert.StartsWith("refused: ", refusedReport.Outcome, StringComparison.Ordinal);
        Assert.Empty(store.ReadAll());

        var (_, recorded) = await ExchangeAsync(server, _ => null, stream => VerifiableVoteClient.CastAsync(stream, ballot, Timeout()));
        Assert.Equal(ballot.Code, recorded.Receipt?.Code);
        Assert.Equal(ballot.Code, Assert.Single(store.ReadAll()).Code);

        // A server that does not serve the public election ends such a request as a protocol error, sending nothing.
        var silent = new VerifiableVoteServer(ElectionSetup.Open(election), voters, store);
        var (silentReport, error) = await ExchangeAsync(silent, null, async stream =>
            await Record.ExceptionAsync(() => VoteClient.ReadAnyElectionInfoAsync(stream, Timeout())));
        Assert.IsType<VoteProtocolException>(error);
        Assert.StartsWith("protocol error: ", silentReport.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_voter_refuses_an_election_description_that_is_too_large_or_unreadable()
    {
        // More than 1 MiB of election parts: refused once the limit is passed, before the rest is read.
        var part = new byte[VerifiableMessages.PartSize];
        var tooLarge = await HostileServerAsync(async channel =>
        {
            for (var sent = 0; sent <= VerifiableMessages.MaxElectionSize; sent += part.Length)
            {
                await channel.SendAsync(VerifiableMessages.ElectionPart, part, Timeout());
            }
        });
        Assert.Contains("larger than 1048576 bytes", tooLarge.Message, StringComparison.Ordinal);

        var unreadable = await HostileServerAsync(channel => channel.SendAsync(VerifiableMessages.ElectionEnd, "{\"format\": 7}"u8.ToArray(), Timeout()).AsTask());
        Assert.Equal("the server sent an unreadable election description", unreadable.Message);
    }

    /// <summary>A server that answers the election request with <paramref name="answer"/>; returns what the voter threw.</summary>
    private static async Task<VoteProtocolException> HostileServerAsync(Func<Protocol.VoteChannel, Task> answer)
    {
        var (clientStream, serverStream) = await LoopbackPair.CreateAsync();
        await using var _ = clientStream;
        await using var __ = serverStream;
        var serving = Task.Run(async () =>
        {
            using var channel = new Protocol.VoteChannel(serverStream);
            Assert.Equal(Protocol.VoteMessageType.ElectionInfoRequest, (await channel.ReceiveAsync(Timeout()))?.Type);
            try
            {
                await answer(channel);
            }
            catch (IOException)
            {
                // The voter hung up once it had refused.
            }
        });
        var error = await Assert.ThrowsAsync<VoteProtocolException>(() => VoteClient.ReadAnyElectionInfoAsync(clientStream, Timeout()));
        clientStream.Close();
        await serving;
        return error;
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token;

    /// <summary>One connection over loopback TCP: the server's side and the client's side, each to its end.</summary>
    private static async Task<(ExchangeReport Report, T Result)> ExchangeAsync<T>(VerifiableVoteServer server, Func<string, string?>? admit, Func<Stream, Task<T>> client)
    {
        var (clientStream, serverStream) = await LoopbackPair.CreateAsync();
        await using var _ = clientStream;
        await using var __ = serverStream;
        var serving = Task.Run(async () =>
        {
            var report = await server.HandleConnectionAsync(serverStream, admit, Timeout());
            serverStream.Socket.Shutdown(SocketShutdown.Send);
            return report;
        });
        var result = await client(clientStream);
        clientStream.Socket.Shutdown(SocketShutdown.Send);
        return (await serving, result);
    }
}
