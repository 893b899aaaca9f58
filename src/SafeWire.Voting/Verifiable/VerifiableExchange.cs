using System.Text;
using System.Text.Json;
using SafeWire.Voting.Protocol;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// The verifiable mode's messages, in the same <c>type | length | payload</c> frames as the original design's mode (types 0x60+):
/// the client sends its encrypted ballot as JSON in <see cref="BallotPart"/> frames ending with one <see cref="BallotEnd"/>;
/// the server answers <see cref="Recorded"/> (a receipt, JSON) or <see cref="Refused"/> (a final flag byte, then the reason in UTF-8).
/// </summary>
internal static class VerifiableMessages
{
    /// <summary>Client → server: a piece of the ballot's JSON.</summary>
    public const VoteMessageType BallotPart = (VoteMessageType)0x60;

    /// <summary>Client → server: the last piece of the ballot's JSON.</summary>
    public const VoteMessageType BallotEnd = (VoteMessageType)0x61;

    /// <summary>Server → client: recorded; the payload is the receipt's JSON.</summary>
    public const VoteMessageType Recorded = (VoteMessageType)0x62;

    /// <summary>Server → client: refused; 1 byte (1: for good, 0: a corrected ballot may be sent), then the reason.</summary>
    public const VoteMessageType Refused = (VoteMessageType)0x63;

    /// <summary>Server → client: a piece of the public election's JSON (verifiable.json), asked for by a voter without a credential file.</summary>
    public const VoteMessageType ElectionPart = (VoteMessageType)0x64;

    /// <summary>Server → client: the last piece of the public election's JSON.</summary>
    public const VoteMessageType ElectionEnd = (VoteMessageType)0x65;

    /// <summary>Largest public election JSON a voter accepts.</summary>
    public const int MaxElectionSize = 1024 * 1024;

    /// <summary>Largest ballot JSON the server accepts.</summary>
    public const int MaxBallotSize = 4 * 1024 * 1024;

    internal const int PartSize = 60 * 1024;
}

/// <summary>
/// The server side of a verifiable election on one connection: receive the ballot, check it (registered voter,
/// signature, code, proofs), record it exactly once, answer. It holds only public keys.
/// </summary>
public sealed class VerifiableVoteServer
{
    private readonly EncryptionContext _context;
    private readonly VoterRegistry _voters;
    private readonly VerifiableBallotStore _store;
    private readonly VoteServerOptions _options;

    /// <summary>Serves <paramref name="context"/>'s election with the registered <paramref name="voters"/> into <paramref name="store"/>.</summary>
    public VerifiableVoteServer(EncryptionContext context, VoterRegistry voters, VerifiableBallotStore store, VoteServerOptions? options = null)
    {
        _context = context;
        _voters = voters;
        _store = store;
        _options = options ?? new VoteServerOptions();
    }

    /// <summary>
    /// The public election (verifiable.json), sent to a voter that asks for it with the original mode's empty
    /// <see cref="VoteMessageType.ElectionInfoRequest"/> (one that joined with a code has no credential carrying it); null: not served.
    /// </summary>
    public ElectionRecordJson? PublicElection { get; init; }

    /// <summary>Serves one connection to its end; the peer's misbehaviour ends in a report, never an exception.</summary>
    public Task<ExchangeReport> HandleConnectionAsync(Stream stream, CancellationToken cancellationToken) =>
        HandleConnectionAsync(stream, null, cancellationToken);

    /// <summary>
    /// Serves one connection to its end; <paramref name="admitVoter"/> may refuse a registered voter on this connection
    /// (null: admitted; a text: refused for good with that reason), e.g. a voter that joined with a code but did not show its certificate.
    /// </summary>
    public async Task<ExchangeReport> HandleConnectionAsync(Stream stream, Func<string, string?>? admitVoter, CancellationToken cancellationToken)
    {
        using var channel = new VoteChannel(stream);
        string? voterId = null;
        try
        {
            for (var attempt = 0; attempt < _options.MaxAttempts; attempt++)
            {
                var json = await ReceiveBallotAsync(channel, attempt == 0 && PublicElection is not null, cancellationToken).ConfigureAwait(false);
                if (json is null)
                {
                    return new ExchangeReport(voterId, "disconnected", null);
                }

                if (json.Length == 0)
                {
                    await SendElectionAsync(channel, PublicElection!, cancellationToken).ConfigureAwait(false);
                    return new ExchangeReport(null, "sent the public election", null);
                }

                EncryptedBallotJson? ballot;
                try
                {
                    ballot = JsonSerializer.Deserialize(json, VerifiableJson.Default.EncryptedBallotJson);
                }
                catch (JsonException)
                {
                    ballot = null;
                }

                if (ballot?.VoterId is null || !Identifiers.IsValid(ballot.VoterId))
                {
                    await RefuseAsync(channel, true, "the ballot is malformed", cancellationToken).ConfigureAwait(false);
                    return new ExchangeReport(null, "refused: malformed", null);
                }

                voterId = ballot.VoterId;
                var key = _voters.PublicKeyOf(ballot.VoterId);
                if (key is null)
                {
                    await RefuseAsync(channel, true, $"voter {ballot.VoterId} is not registered in election {_context.Manifest.Name}", cancellationToken).ConfigureAwait(false);
                    return new ExchangeReport(voterId, "refused: not registered", null);
                }

                if (admitVoter?.Invoke(ballot.VoterId) is { } refusal)
                {
                    await RefuseAsync(channel, true, refusal, cancellationToken).ConfigureAwait(false);
                    return new ExchangeReport(voterId, "refused: " + refusal, null);
                }

                if (BallotEncryption.Check(_context, ballot with { Sequence = null }, key, parallel: true) is { } problem)
                {
                    await RefuseAsync(channel, false, "the ballot is invalid: " + problem, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var (status, sequence) = await _store.RecordAsync(ballot with { Sequence = null }, cancellationToken).ConfigureAwait(false);
                switch (status)
                {
                    case RecordStatus.Recorded or RecordStatus.AlreadyRecorded:
                        var receipt = new CastReceiptJson { Election = _context.Manifest.Name, VoterId = ballot.VoterId, Code = ballot.Code, Sequence = sequence };
                        await channel.SendAsync(VerifiableMessages.Recorded, JsonSerializer.SerializeToUtf8Bytes(receipt, VerifiableJson.Default.CastReceiptJson), cancellationToken).ConfigureAwait(false);
                        return new ExchangeReport(voterId, status == RecordStatus.Recorded ? "recorded" : "already recorded (resend)", sequence);
                    case RecordStatus.AlreadyVoted:
                        await RefuseAsync(channel, true, $"voter {ballot.VoterId} already voted (ballot #{sequence})", cancellationToken).ConfigureAwait(false);
                        return new ExchangeReport(voterId, "refused: already voted", null);
                    case RecordStatus.DuplicateCode:
                        await RefuseAsync(channel, true, "another voter's ballot has this confirmation code (a copied ballot)", cancellationToken).ConfigureAwait(false);
                        return new ExchangeReport(voterId, "refused: copied ballot", null);
                    default:
                        await RefuseAsync(channel, true, $"election {_context.Manifest.Name} is closed", cancellationToken).ConfigureAwait(false);
                        return new ExchangeReport(voterId, "refused: closed", null);
                }
            }

            return new ExchangeReport(voterId, "refused: too many invalid ballots", null);
        }
        catch (VoteProtocolException e)
        {
            return new ExchangeReport(voterId, "protocol error: " + e.Message, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ExchangeReport(voterId, "timed out", null);
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ExchangeReport(voterId, "connection lost", null);
        }
    }

    /// <summary>The ballot's JSON; null: the voter hung up; empty: it asked for the public election (only when <paramref name="electionRequestAllowed"/>).</summary>
    private async Task<byte[]?> ReceiveBallotAsync(VoteChannel channel, bool electionRequestAllowed, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        while (true)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.IdleTimeout);
            var message = await channel.ReceiveAsync(timeout.Token).ConfigureAwait(false);
            if (message is null)
            {
                return null;
            }

            var (type, payload) = message.Value;
            if (type == VoteMessageType.ElectionInfoRequest && electionRequestAllowed && buffer.Length == 0 && payload.Length == 0)
            {
                return [];
            }

            if (type != VerifiableMessages.BallotPart && type != VerifiableMessages.BallotEnd)
            {
                throw new VoteProtocolException(VoteRefusal.Malformed, $"expected a ballot, got message type {(byte)type}");
            }

            if (buffer.Length + payload.Length > VerifiableMessages.MaxBallotSize)
            {
                throw new VoteProtocolException(VoteRefusal.Malformed, $"ballot larger than {VerifiableMessages.MaxBallotSize} bytes");
            }

            buffer.Write(payload.Span);
            if (type == VerifiableMessages.BallotEnd)
            {
                return buffer.ToArray();
            }
        }
    }

    private static async Task SendElectionAsync(VoteChannel channel, ElectionRecordJson election, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(election, VerifiableJson.Default.ElectionRecordJson);
        for (var offset = 0; ; offset += VerifiableMessages.PartSize)
        {
            var length = Math.Min(VerifiableMessages.PartSize, json.Length - offset);
            var last = offset + length >= json.Length;
            await channel.SendAsync(last ? VerifiableMessages.ElectionEnd : VerifiableMessages.ElectionPart, json.AsMemory(offset, length), cancellationToken).ConfigureAwait(false);
            if (last)
            {
                return;
            }
        }
    }

    private static async Task RefuseAsync(VoteChannel channel, bool final, string reason, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetBytes(reason.Length > 2000 ? reason[..2000] : reason);
        var payload = new byte[text.Length + 1];
        payload[0] = final ? (byte)1 : (byte)0;
        text.CopyTo(payload, 1);
        await channel.SendAsync(VerifiableMessages.Refused, payload, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The voter's side: send the encrypted ballot, get the receipt or the reason.</summary>
public static class VerifiableVoteClient
{
    /// <summary>Sends <paramref name="ballot"/>; returns the receipt, or null and the server's reason (and whether it is final).</summary>
    public static async Task<(CastReceiptJson? Receipt, string? Reason, bool Final)> CastAsync(Stream stream, EncryptedBallotJson ballot, CancellationToken cancellationToken)
    {
        using var channel = new VoteChannel(stream);
        var json = JsonSerializer.SerializeToUtf8Bytes(ballot, VerifiableJson.Default.EncryptedBallotJson);
        for (var offset = 0; offset < json.Length || offset == 0; offset += VerifiableMessages.PartSize)
        {
            var length = Math.Min(VerifiableMessages.PartSize, json.Length - offset);
            var last = offset + length >= json.Length;
            await channel.SendAsync(last ? VerifiableMessages.BallotEnd : VerifiableMessages.BallotPart, json.AsMemory(offset, length), cancellationToken).ConfigureAwait(false);
            if (last)
            {
                break;
            }
        }

        var message = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new VoteProtocolException(VoteRefusal.Malformed, "the server closed the connection without an answer");
        var (type, payload) = message;
        if (type == VerifiableMessages.Refused && payload.Length >= 1)
        {
            return (null, Encoding.UTF8.GetString(payload.Span[1..]), payload.Span[0] == 1);
        }

        if (type != VerifiableMessages.Recorded)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"unexpected message type {(byte)type} from the server");
        }

        CastReceiptJson? receipt;
        try
        {
            receipt = JsonSerializer.Deserialize(payload.Span, VerifiableJson.Default.CastReceiptJson);
        }
        catch (JsonException)
        {
            receipt = null;
        }

        if (receipt is null || receipt.Code != ballot.Code || receipt.VoterId != ballot.VoterId || receipt.Election != ballot.Election)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, "the server's receipt is not for the ballot sent");
        }

        return (receipt, null, true);
    }
}
