using SafeWire.Framing;
using System.Security.Cryptography;
using SafeWire.Voting.Protocol;
using SafeWire.Voting.Storage;

namespace SafeWire.Voting.Tests;

/// <summary>The server's exchange without any I/O: every check of step 4 and its negative case.</summary>
public sealed class ServerExchangeTests : IAsyncLifetime
{
    private TestElection _election = null!;

    public async ValueTask InitializeAsync() => _election = await TestElection.CreateAsync(candidates: 7, maxScore: 5, voters: 2);

    public async ValueTask DisposeAsync() => await _election.DisposeAsync();

    private VoterCredential Voter1 => _election.Voters[0];

    [Fact]
    public async Task Registered_voter_gets_challenge_then_yes_with_receipt_then_ok_erases_everything()
    {
        using var exchange = new ServerExchange(_election.Context);
        var challenge = Start(exchange, "1");
        Assert.Equal(ExchangeState.AwaitingBallot, exchange.State);
        Assert.Equal(_election.Name, challenge.Election);
        Assert.Equal(7, challenge.Candidates);
        Assert.Equal(5, challenge.MaxScore);

        var sessionKey = new byte[32];
        var action = exchange.Handle(VoteMessageType.SealedBallot, Seal(Voter1, challenge, "45432*3", sessionKey, out var hash).Encode());
        Assert.NotNull(action.Commit);
        Assert.Null(action.Send);
        Assert.Equal(ExchangeState.Committing, exchange.State);
        Assert.Equal("45432*3", action.Commit.Ballot);
        Assert.Equal(hash, action.Commit.BallotHash);

        var outcome = await _election.Store.CommitAsync(action.Commit, _election.Signer, CancellationToken.None);
        var yes = exchange.OnCommitted(outcome);
        Assert.Equal(VoteMessageType.Yes, yes.Send);
        Assert.Equal(ExchangeState.AwaitingOk, exchange.State);
        var receipt = BallotCrypto.TryOpenYes(sessionKey, challenge.ExchangeId, SealedYes.Decode(yes.Payload));
        Assert.NotNull(receipt);
        Assert.Equal(1, receipt.Sequence);
        Assert.Equal(hash, receipt.BallotHash);
        Assert.True(receipt.VerifySignature(_election.ReceiptKey));
        Assert.False(exchange.SecretsErased);

        var ok = exchange.Handle(VoteMessageType.Ok, []);
        Assert.True(ok.Close);
        Assert.Equal(ExchangeState.Finished, exchange.State);
        Assert.True(exchange.SecretsErased);
    }

    [Fact]
    public void Unregistered_voter_gets_no_and_the_exchange_ends()
    {
        using var exchange = new ServerExchange(_election.Context);
        var action = exchange.Handle(VoteMessageType.VoterId, new VoterIdMessage("99").Encode());
        AssertNo(action, VoteRefusal.NotRegistered, "voter 99 is not on the voter list");
        Assert.True(action.Close);
        Assert.Equal(ExchangeState.Finished, exchange.State);
    }

    [Theory]
    [InlineData("4543", VoteRefusal.WrongLength, "wrong length")]
    [InlineData("45x32*3", VoteRefusal.BadCharacter, "bad character 'x' for candidate 3")]
    [InlineData("45439*3", VoteRefusal.ScoreAboveMax, "score 9 for candidate 5 is above the maximum score 5")]
    public void Invalid_ballot_gets_no_with_reason_and_a_corrected_one_is_accepted_in_the_same_exchange(string bad, VoteRefusal refusal, string reason)
    {
        using var exchange = new ServerExchange(_election.Context);
        var challenge = Start(exchange, "1");
        var key = new byte[32];
        var no = exchange.Handle(VoteMessageType.SealedBallot, Seal(Voter1, challenge, bad, key, out _).Encode());
        AssertNo(no, refusal, reason);
        Assert.False(no.Close);
        Assert.Equal(ExchangeState.AwaitingBallot, exchange.State);

        var corrected = exchange.Handle(VoteMessageType.SealedBallot, Seal(Voter1, challenge, "45432*3", key, out _).Encode());
        Assert.NotNull(corrected.Commit);
    }

    [Fact]
    public void Altered_signature_is_refused()
    {
        using var exchange = new ServerExchange(_election.Context);
        var challenge = Start(exchange, "1");
        using var voterKey = Voter1.LoadPrivateKey();
        var signature = BallotCrypto.SignBallot(voterKey, BallotCrypto.SignedBallotBytes(_election.Name, "1", challenge.Nonce, "45432*3"));
        signature[10] ^= 0x01;
        var action = exchange.Handle(VoteMessageType.SealedBallot, SealRaw("1", challenge, "45432*3", signature).Encode());
        AssertNo(action, VoteRefusal.BadSignature, "the signature does not verify with the key registered for voter 1");
    }

    [Fact]
    public void Signature_by_an_unregistered_key_is_refused()
    {
        using var exchange = new ServerExchange(_election.Context);
        var challenge = Start(exchange, "1");
        using var madeOnTheSpot = ECDsa.Create(ECCurve.NamedCurves.nistP256); // what the seed did
        var impostor = Voter1 with { PrivateKey = madeOnTheSpot.ExportPkcs8PrivateKeyPem() };
        var action = exchange.Handle(VoteMessageType.SealedBallot, Seal(impostor, challenge, "45432*3", new byte[32], out _).Encode());
        AssertNo(action, VoteRefusal.BadSignature, "the signature does not verify");
    }

    [Fact]
    public void Another_registered_voters_key_cannot_vote_for_voter_1()
    {
        using var exchange = new ServerExchange(_election.Context);
        var challenge = Start(exchange, "1");
        var voter2AsVoter1 = _election.Voters[1] with { VoterId = "1" };
        var action = exchange.Handle(VoteMessageType.SealedBallot, Seal(voter2AsVoter1, challenge, "45432*3", new byte[32], out _).Encode());
        AssertNo(action, VoteRefusal.BadSignature, "the signature does not verify");
    }

    public static TheoryData<string> Parts => new() { "wrapped key", "ciphertext", "tag", "iv" };

    [Theory]
    [MemberData(nameof(Parts))]
    public void Altered_wrapped_key_ciphertext_tag_or_iv_is_refused_with_one_reason(string part)
    {
        using var exchange = new ServerExchange(_election.Context);
        var challenge = Start(exchange, "1");
        var sealedBallot = Seal(Voter1, challenge, "45432*3", new byte[32], out _);
        var target = part switch
        {
            "wrapped key" => sealedBallot.WrappedKey,
            "ciphertext" => sealedBallot.Ciphertext,
            "tag" => sealedBallot.Tag,
            _ => sealedBallot.Iv,
        };
        target[target.Length / 2] ^= 0x40;
        var action = exchange.Handle(VoteMessageType.SealedBallot, sealedBallot.Encode());
        AssertNo(action, VoteRefusal.Undecryptable, "the ballot could not be decrypted");
        Assert.False(action.Close);
    }

    [Fact]
    public void Ballot_sealed_for_another_elections_key_is_refused()
    {
        using var exchange = new ServerExchange(_election.Context);
        var challenge = Start(exchange, "1");
        using var otherKey = RSA.Create(2048);
        var other = Voter1 with { ElectionKey = otherKey.ExportSubjectPublicKeyInfoPem() };
        AssertNo(exchange.Handle(VoteMessageType.SealedBallot, Seal(other, challenge, "45432*3", new byte[32], out _).Encode()), VoteRefusal.Undecryptable, "");
    }

    [Fact]
    public void Replay_of_another_exchanges_ballot_is_refused()
    {
        using var first = new ServerExchange(_election.Context);
        var firstChallenge = Start(first, "1");
        var recorded = Seal(Voter1, firstChallenge, "45432*3", new byte[32], out _);

        using var second = new ServerExchange(_election.Context);
        var secondChallenge = Start(second, "1");
        Assert.NotEqual(firstChallenge.Nonce, secondChallenge.Nonce);

        // As recorded: the exchange ID is the old one.
        AssertNo(second.Handle(VoteMessageType.SealedBallot, recorded.Encode()), VoteRefusal.WrongExchange, "another exchange");
        // Exchange ID rewritten to the new one: the AEAD's associated data no longer matches.
        AssertNo(second.Handle(VoteMessageType.SealedBallot, (recorded with { ExchangeId = secondChallenge.ExchangeId }).Encode()), VoteRefusal.Undecryptable, "");
        // Re-sealed for the new exchange but signed over the old nonce: the signature fails.
        using var voterKey = Voter1.LoadPrivateKey();
        var oldSignature = BallotCrypto.SignBallot(voterKey, BallotCrypto.SignedBallotBytes(_election.Name, "1", firstChallenge.Nonce, "45432*3"));
        AssertNo(second.Handle(VoteMessageType.SealedBallot, SealRaw("1", secondChallenge, "45432*3", oldSignature).Encode()), VoteRefusal.BadSignature, "");
    }

    [Fact]
    public void Too_many_refused_ballots_end_the_exchange()
    {
        using var exchange = new ServerExchange(_election.Context, maxAttempts: 3);
        var challenge = Start(exchange, "1");
        var key = new byte[32];
        Assert.False(exchange.Handle(VoteMessageType.SealedBallot, Seal(Voter1, challenge, "1", key, out _).Encode()).Close);
        Assert.False(exchange.Handle(VoteMessageType.SealedBallot, Seal(Voter1, challenge, "1", key, out _).Encode()).Close);
        var last = exchange.Handle(VoteMessageType.SealedBallot, Seal(Voter1, challenge, "1", key, out _).Encode());
        AssertNo(last, VoteRefusal.TooManyAttempts, "wrong length");
        Assert.True(last.Close);
        Assert.True(exchange.SecretsErased);
    }

    [Fact]
    public void Messages_out_of_order_or_malformed_end_the_exchange()
    {
        using var early = new ServerExchange(_election.Context);
        var ok = early.Handle(VoteMessageType.Ok, []);
        AssertNo(ok, VoteRefusal.Malformed, "expected VoterId or BoardRequest or ElectionInfoRequest, got Ok");
        Assert.True(ok.Close);

        using var truncated = new ServerExchange(_election.Context);
        var challenge = Start(truncated, "1");
        var bytes = Seal(Voter1, challenge, "45432*3", new byte[32], out _).Encode();
        AssertNo(truncated.Handle(VoteMessageType.SealedBallot, bytes.AsSpan(0, bytes.Length - 3)), VoteRefusal.Malformed, "truncated");

        using var trailing = new ServerExchange(_election.Context);
        AssertNo(trailing.Handle(VoteMessageType.VoterId, [0, 1, (byte)'1', 0]), VoteRefusal.Malformed, "trailing");
    }

    [Fact]
    public void Election_info_request_gets_the_public_keys_and_ends_the_exchange()
    {
        using var exchange = new ServerExchange(_election.Context with { ReceiptPublicKey = _election.ReceiptKey.ExportSubjectPublicKeyInfo() });
        var action = exchange.Handle(VoteMessageType.ElectionInfoRequest, []);
        Assert.Equal(VoteMessageType.ElectionInfo, action.Send);
        Assert.True(action.Close);
        Assert.Equal(ExchangeState.Finished, exchange.State);
        var info = ElectionInfoMessage.Decode(action.Payload);
        Assert.Equal((_election.Name, 7, 5), (info.Election, info.Candidates, info.MaxScore));
        Assert.Equal(_election.ElectionKey.ExportSubjectPublicKeyInfo(), info.ElectionKey);
        Assert.Equal(_election.ReceiptKey.ExportSubjectPublicKeyInfo(), info.ReceiptKey);

        // A server that does not offer its receipt key refuses; a request with data is malformed.
        using var without = new ServerExchange(_election.Context);
        AssertNo(without.Handle(VoteMessageType.ElectionInfoRequest, []), VoteRefusal.UnknownElection, "credential file");
        using var malformed = new ServerExchange(_election.Context with { ReceiptPublicKey = [1] });
        AssertNo(malformed.Handle(VoteMessageType.ElectionInfoRequest, [0]), VoteRefusal.Malformed, "carries no data");
    }

    [Fact]
    public void A_registered_voter_the_connection_does_not_admit_gets_no_with_the_reason()
    {
        using var exchange = new ServerExchange(_election.Context, admitVoter: id => id == "1" ? "voter 1 must show its certificate" : null);
        var action = exchange.Handle(VoteMessageType.VoterId, new VoterIdMessage("1").Encode());
        AssertNo(action, VoteRefusal.NotRegistered, "voter 1 must show its certificate");
        Assert.True(action.Close);
        Assert.True(exchange.SecretsErased);

        using var other = new ServerExchange(_election.Context, admitVoter: id => id == "1" ? "refused" : null);
        Assert.Equal(ExchangeState.AwaitingBallot, (Start(other, "2"), other.State).Item2);
    }

    [Fact]
    public async Task Commit_refusals_become_no_and_end_the_exchange()
    {
        using var exchange = new ServerExchange(_election.Context);
        var challenge = Start(exchange, "1");
        exchange.Handle(VoteMessageType.SealedBallot, Seal(Voter1, challenge, "45432*3", new byte[32], out _).Encode());
        var action = exchange.OnCommitted(new CommitOutcome(CommitStatus.AlreadyVoted, null));
        AssertNo(action, VoteRefusal.AlreadyVoted, "voter 1 has already voted");
        Assert.True(action.Close);
        await Task.CompletedTask;
    }

    private static ChallengeMessage Start(ServerExchange exchange, string voterId)
    {
        var action = exchange.Handle(VoteMessageType.VoterId, new VoterIdMessage(voterId).Encode());
        Assert.Equal(VoteMessageType.Challenge, action.Send);
        return ChallengeMessage.Decode(action.Payload);
    }

    private SealedBallot Seal(VoterCredential voter, ChallengeMessage challenge, string ballot, byte[] sessionKey, out byte[] hash)
    {
        using var voterKey = voter.LoadPrivateKey();
        using var electionKey = voter.LoadElectionKey();
        return BallotCrypto.Seal(voterKey, electionKey, _election.Name, voter.VoterId, challenge.ExchangeId, challenge.Nonce, ballot, sessionKey, out hash);
    }

    /// <summary>Seals an arbitrary (ballot, signature) pair correctly, to test the checks behind decryption.</summary>
    private SealedBallot SealRaw(string voterId, ChallengeMessage challenge, string ballot, byte[] signature)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var plaintext = new FieldWriter().String16(ballot).Bytes16(signature).ToArray();
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        var iv = RandomNumberGenerator.GetBytes(12);
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(iv, plaintext, ciphertext, tag, BallotCrypto.BallotAssociatedData(_election.Name, voterId, challenge.ExchangeId));
        }

        using var electionKey = _election.Files.LoadElectionPublicKey();
        return new SealedBallot(challenge.ExchangeId, electionKey.Encrypt(key, RSAEncryptionPadding.OaepSHA256), iv, ciphertext, tag);
    }

    private static void AssertNo(ExchangeAction action, VoteRefusal refusal, string reasonPart)
    {
        Assert.Equal(VoteMessageType.No, action.Send);
        Assert.Null(action.Commit);
        var no = NoMessage.Decode(action.Payload);
        Assert.Equal(refusal, no.Refusal);
        Assert.Contains(reasonPart, no.Reason, StringComparison.Ordinal);
    }
}
