using System.Security.Cryptography;
using SafeWire.Voting.Protocol;

namespace SafeWire.Voting;

/// <summary>How a cast ended: a receipt, or the server's last "no".</summary>
public sealed record CastResult(Receipt? Receipt, VoteRefusal? Refusal, string? Reason)
{
    /// <summary>True when the ballot was counted and <see cref="Receipt"/> is set.</summary>
    public bool Accepted => Receipt is not null;

    /// <summary>The server already counted this same ballot for this voter; the receipt is that earlier ballot's.</summary>
    public bool SameAsEarlierBallot { get; init; }
}

/// <summary>
/// The voter's side of the exchange over an already-authenticated stream: send the ID, receive the challenge,
/// seal and send ballots until one is accepted or refused for good, check the receipt, answer "ok".
/// </summary>
/// <example>
/// <code>
/// var credential = VoterCredential.Load("alice.credential");
/// await using var stream = await VoteTransport.ConnectAsync("vote.example", 7300,
///     VoteTransport.ServerVerifier(credential.CaCertificate, home), "vote.example", cancellationToken);
/// var result = await VoteClient.CastAsync(stream, credential, credential.VoterId,
///     (no, ct) => ValueTask.FromResult&lt;string?&gt;(no is null ? "45432*3" : null),   // one try: give up after a "no"
///     cancellationToken);
/// if (result.Receipt is { } receipt)
/// {
///     ReceiptFile.From(receipt, credential, credential.VoterId, "vote.example:7300").Save("alice.receipt");
/// }
/// else
/// {
///     Console.WriteLine($"refused: {result.Reason}");
/// }
/// </code>
/// </example>
public static class VoteClient
{
    /// <summary>
    /// Casts a ballot. <paramref name="nextBallot"/> is asked for the first ballot (with null) and, after each "no"
    /// that allows a retry, for a corrected one (with that "no"); returning null gives up.
    /// </summary>
    public static async Task<CastResult> CastAsync(Stream stream, VoterCredential credential, string voterId,
        Func<NoMessage?, CancellationToken, ValueTask<string?>> nextBallot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        using var voterKey = credential.LoadPrivateKey();
        using var electionKey = credential.LoadElectionKey();
        using var receiptKey = credential.LoadReceiptKey();
        return await CastAsync(stream, credential.Election, voterKey, electionKey, receiptKey, voterId, nextBallot, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Casts a ballot in <paramref name="election"/> with the voter's key and the election's public keys given directly
    /// (a voter who joined with a code: its home key, and the keys from <see cref="ReadElectionInfoAsync"/>).
    /// </summary>
    public static async Task<CastResult> CastAsync(Stream stream, string election, ECDsa voterKey, RSA electionKey, ECDsa receiptKey, string voterId,
        Func<NoMessage?, CancellationToken, ValueTask<string?>> nextBallot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nextBallot);
        using var channel = new VoteChannel(stream);
        var sessionKey = new byte[BallotCrypto.SessionKeySize];
        try
        {
            await channel.SendAsync(VoteMessageType.VoterId, new VoterIdMessage(voterId).Encode(), cancellationToken).ConfigureAwait(false);
            var (type, payload) = await ExpectAsync(channel, cancellationToken, VoteMessageType.Challenge, VoteMessageType.No).ConfigureAwait(false);
            if (type == VoteMessageType.No)
            {
                var no = NoMessage.Decode(payload.Span);
                return new CastResult(null, no.Refusal, no.Reason);
            }

            var challenge = ChallengeMessage.Decode(payload.Span);
            if (challenge.Election != election)
            {
                throw new VotingException($"The server runs election \"{challenge.Election}\", but the credential is for \"{election}\".");
            }

            NoMessage? last = null;
            long? duplicateOf = null;
            while (true)
            {
                var ballot = await nextBallot(last, cancellationToken).ConfigureAwait(false);
                if (ballot is null)
                {
                    return new CastResult(null, last?.Refusal, last?.Reason);
                }

                var sealedBallot = BallotCrypto.Seal(voterKey, electionKey, challenge.Election, voterId, challenge.ExchangeId, challenge.Nonce, ballot, sessionKey, out var ballotHash);
                await channel.SendAsync(VoteMessageType.SealedBallot, sealedBallot.Encode(), cancellationToken).ConfigureAwait(false);
                (type, payload) = await ExpectAsync(channel, cancellationToken, VoteMessageType.Yes, VoteMessageType.No).ConfigureAwait(false);
                if (type == VoteMessageType.No)
                {
                    last = NoMessage.Decode(payload.Span);
                    if (!last.Refusal.AllowsRetry())
                    {
                        return new CastResult(null, last.Refusal, last.Reason);
                    }

                    continue;
                }

                var receipt = BallotCrypto.TryOpenYes(sessionKey, challenge.ExchangeId, SealedYes.Decode(payload.Span))
                    ?? throw new VoteProtocolException(VoteRefusal.Malformed, "the server's \"yes\" was not sealed with this exchange's session key");
                if (receipt.Election != election || !receipt.VerifySignature(receiptKey))
                {
                    throw new VoteProtocolException(VoteRefusal.Malformed, "the receipt is not signed by the election's receipt key");
                }

                // A resent identical ballot gets the receipt of the one already counted (another exchange, another hash).
                if (!CryptographicOperations.FixedTimeEquals(receipt.BallotHash, ballotHash))
                {
                    duplicateOf = receipt.Sequence;
                }

                await channel.SendAsync(VoteMessageType.Ok, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                return new CastResult(receipt, null, null) { SameAsEarlierBallot = duplicateOf is not null };
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sessionKey);
        }
    }

    /// <summary>Asks the server for its election's public parameters and keys (the connection ends after the answer).</summary>
    public static async Task<ElectionInfoMessage> ReadElectionInfoAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var channel = new VoteChannel(stream);
        await channel.SendAsync(VoteMessageType.ElectionInfoRequest, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        var (type, payload) = await ExpectAsync(channel, cancellationToken, VoteMessageType.ElectionInfo, VoteMessageType.No).ConfigureAwait(false);
        if (type == VoteMessageType.No)
        {
            throw new VotingException($"The server refused to give the election's keys: {NoMessage.Decode(payload.Span).Reason}.");
        }

        var info = ElectionInfoMessage.Decode(payload.Span);
        Identifiers.EnsureValid(info.Election, "election name");
        return info;
    }

    /// <summary>
    /// Asks the server for its election (the connection ends after the answer): the original mode's parameters and public
    /// keys, or, from a verifiable election's server, its public description (verifiable.json). Exactly one is set.
    /// </summary>
    public static async Task<(ElectionInfoMessage? Info, Verifiable.ElectionRecordJson? Verifiable)> ReadAnyElectionInfoAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var channel = new VoteChannel(stream);
        await channel.SendAsync(VoteMessageType.ElectionInfoRequest, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        while (true)
        {
            var (type, payload) = await ExpectAsync(channel, cancellationToken, VoteMessageType.ElectionInfo, VoteMessageType.No, Verifiable.VerifiableMessages.ElectionPart, Verifiable.VerifiableMessages.ElectionEnd).ConfigureAwait(false);
            if (type == VoteMessageType.No)
            {
                throw new VotingException($"The server refused to give the election's keys: {NoMessage.Decode(payload.Span).Reason}.");
            }

            if (type == VoteMessageType.ElectionInfo)
            {
                if (buffer.Length > 0)
                {
                    throw new VoteProtocolException(VoteRefusal.Malformed, "the server mixed two kinds of election description");
                }

                var info = ElectionInfoMessage.Decode(payload.Span);
                Identifiers.EnsureValid(info.Election, "election name");
                return (info, null);
            }

            if (buffer.Length + payload.Length > Verifiable.VerifiableMessages.MaxElectionSize)
            {
                throw new VoteProtocolException(VoteRefusal.Malformed, $"the server's election description is larger than {Verifiable.VerifiableMessages.MaxElectionSize} bytes");
            }

            buffer.Write(payload.Span);
            if (type == Verifiable.VerifiableMessages.ElectionEnd)
            {
                Verifiable.ElectionRecordJson? election;
                try
                {
                    election = System.Text.Json.JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Verifiable.VerifiableJson.Default.ElectionRecordJson);
                }
                catch (System.Text.Json.JsonException)
                {
                    election = null;
                }

                if (election?.Manifest?.Name is not { } name || !Identifiers.IsValid(name))
                {
                    throw new VoteProtocolException(VoteRefusal.Malformed, "the server sent an unreadable election description");
                }

                return (null, election);
            }
        }
    }

    /// <summary>Downloads the whole public board of <paramref name="election"/> (null: whichever election the server serves).</summary>
    public static async Task<(string Election, IReadOnlyList<BoardEntry> Entries)> ReadBoardAsync(Stream stream, string? election, int maxEntries, CancellationToken cancellationToken)
    {
        using var channel = new VoteChannel(stream);
        await channel.SendAsync(VoteMessageType.BoardRequest, new BoardRequestMessage(election ?? string.Empty).Encode(), cancellationToken).ConfigureAwait(false);
        var entries = new List<BoardEntry>();
        while (true)
        {
            var (type, payload) = await ExpectAsync(channel, cancellationToken, VoteMessageType.BoardEntries, VoteMessageType.BoardEnd, VoteMessageType.No).ConfigureAwait(false);
            switch (type)
            {
                case VoteMessageType.No:
                    var no = NoMessage.Decode(payload.Span);
                    throw new VotingException($"The server refused the board request: {no.Reason}.");
                case VoteMessageType.BoardEnd:
                    var (served, last) = BoardMessages.DecodeEnd(payload.Span);
                    if (last != (entries.Count == 0 ? 0 : entries[^1].Sequence) || (election is not null && served != election))
                    {
                        throw new VoteProtocolException(VoteRefusal.Malformed, "the board ended at another entry or election than requested");
                    }

                    return (served, entries);
                default:
                    entries.AddRange(BoardMessages.DecodeEntries(payload.Span));
                    if (entries.Count > maxEntries)
                    {
                        throw new VoteProtocolException(VoteRefusal.Malformed, $"the board has more than {maxEntries} entries");
                    }

                    break;
            }
        }
    }

    private static async Task<(VoteMessageType Type, ReadOnlyMemory<byte> Payload)> ExpectAsync(VoteChannel channel, CancellationToken cancellationToken, params VoteMessageType[] expected)
    {
        var message = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new VoteProtocolException(VoteRefusal.Malformed, "the server closed the connection without an answer");
        if (!expected.Contains(message.Type))
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"expected {string.Join(" or ", expected)} from the server, got {message.Type}");
        }

        return message;
    }
}
