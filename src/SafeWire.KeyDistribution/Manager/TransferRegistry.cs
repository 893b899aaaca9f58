using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Manager;

/// <summary>One side of a transfer as the key manager knows it: the session and the authenticated key.</summary>
public sealed record TransferParty(uint SessionId, string Name, string Fingerprint);

/// <summary>A transfer the key manager issued: who, which mode, its keys while it still needs them, its state.</summary>
public sealed class TransferRecord
{
    internal TransferRecord(TransferId id, TransferMode mode, TransferParty sender, TransferParty receiver, DateTimeOffset issuedAt, DateTimeOffset expiresAt, TransferKeys? keys)
    {
        Id = id;
        Mode = mode;
        Sender = sender;
        Receiver = receiver;
        IssuedAt = issuedAt;
        ExpiresAt = expiresAt;
        Keys = keys;
    }

    /// <summary>The transfer's random 128-bit ID; usable for this one transfer only.</summary>
    public TransferId Id { get; }

    /// <summary>How the file is protected: cbc/cfb with issued keys, or e2e.</summary>
    public TransferMode Mode { get; }

    /// <summary>The peer that chose the other and sends.</summary>
    public TransferParty Sender { get; }

    /// <summary>The waiting peer that receives.</summary>
    public TransferParty Receiver { get; }

    /// <summary>When the key manager paired the two.</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>When the transfer's keys stop being handed out or confirmed; a transfer not under way by then fails.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Where the transfer is now, from issued to judged.</summary>
    public TransferState State { get; internal set; } = TransferState.Issued;

    /// <summary>The issued keys until both peers confirmed; then zeroed and dropped (null for e2e throughout).</summary>
    public TransferKeys? Keys { get; private set; }

    /// <summary>True once key material for this transfer has existed at the key manager (never for e2e).</summary>
    public bool KeysIssued { get; internal init; }

    /// <summary>The sender fetched its keys (cbc/cfb).</summary>
    public bool SenderFetched { get; internal set; }

    /// <summary>The receiver fetched its keys (cbc/cfb).</summary>
    public bool ReceiverFetched { get; internal set; }

    /// <summary>The sender proved it holds the keys.</summary>
    public bool SenderConfirmed { get; internal set; }

    /// <summary>The receiver proved it holds the keys.</summary>
    public bool ReceiverConfirmed { get; internal set; }

    /// <summary>What the sender reported at the end, once it did.</summary>
    public ReportMessage? SenderReport { get; internal set; }

    /// <summary>What the receiver reported at the end, once it did.</summary>
    public ReportMessage? ReceiverReport { get; internal set; }

    /// <summary>The key manager's judgement, once the transfer ended.</summary>
    public VerdictMessage? Verdict { get; internal set; }

    /// <summary>When the transfer was judged (completed or failed).</summary>
    public DateTimeOffset? EndedAt { get; internal set; }

    /// <summary>Which end of this transfer the session <paramref name="sessionId"/> with key <paramref name="fingerprint"/> is; null when it is neither.</summary>
    public TransferRole? RoleOf(uint sessionId, string fingerprint) =>
        sessionId == Sender.SessionId && fingerprint == Sender.Fingerprint ? TransferRole.Sender
        : sessionId == Receiver.SessionId && fingerprint == Receiver.Fingerprint ? TransferRole.Receiver
        : null;

    /// <summary>The party at the other end from <paramref name="role"/>.</summary>
    public TransferParty Other(TransferRole role) => role == TransferRole.Sender ? Receiver : Sender;

    internal void DropKeys()
    {
        Keys?.Dispose();
        Keys = null;
    }
}

/// <summary>The answer to a request that names a transfer: the record, or why it was refused.</summary>
internal readonly record struct TransferAccess(TransferRecord? Record, TransferRole Role, RefusalReason? Refusal, string Message)
{
    public static TransferAccess Refuse(RefusalReason reason, string message) => new(null, default, reason, message);
}

/// <summary>
/// Issues and tracks transfers (Kerberos-style tickets for one file exchange): fresh keys per transfer,
/// bound to the two authenticated peers and an expiry, each key fetched at most once per peer, and every
/// transfer ID usable for one transfer only. Pure: the caller passes the time; one lock outside guards it.
/// </summary>
internal sealed class TransferRegistry
{
    /// <summary>How long a finished transfer is remembered, so a reused ID is refused as reused (then as unknown).</summary>
    public static readonly TimeSpan RetainFinished = TimeSpan.FromHours(1);

    private readonly Dictionary<TransferId, TransferRecord> _transfers = [];
    private readonly TimeSpan _lifetime;

    public TransferRegistry(TimeSpan keyLifetime)
    {
        if (keyLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(keyLifetime), "Keys need a positive lifetime.");
        }

        _lifetime = keyLifetime;
    }

    public IEnumerable<TransferRecord> All => _transfers.Values;

    public TransferRecord Issue(TransferMode mode, TransferParty sender, TransferParty receiver, DateTimeOffset now)
    {
        var id = TransferId.NewRandom();
        var expires = now + _lifetime;
        var keys = mode == TransferMode.E2e ? null : TransferKeys.Generate(id, mode, sender.Fingerprint, receiver.Fingerprint, expires);
        var record = new TransferRecord(id, mode, sender, receiver, now, expires, keys) { KeysIssued = keys is not null };
        _transfers.Add(id, record);
        return record;
    }

    /// <summary>Finds a transfer for a request from <paramref name="sessionId"/>: refuses unknown, foreign, spent and expired ones.</summary>
    public TransferAccess Access(TransferId id, uint sessionId, string fingerprint, DateTimeOffset now, bool allowAfterExpiry = false)
    {
        if (!_transfers.TryGetValue(id, out var record))
        {
            return TransferAccess.Refuse(RefusalReason.UnknownTransfer, $"Transfer {id.Abbreviated} is not known to this key manager.");
        }

        if (record.RoleOf(sessionId, fingerprint) is not { } role)
        {
            return TransferAccess.Refuse(RefusalReason.NotYourTransfer, $"Transfer {id.Abbreviated} was issued to {record.Sender.Name} and {record.Receiver.Name}, not to you.");
        }

        if (TransferMachine.IsFinal(record.State))
        {
            return TransferAccess.Refuse(RefusalReason.AlreadyUsed, $"Transfer {id.Abbreviated} is over; its keys cannot be used again.");
        }

        if (!allowAfterExpiry && now > record.ExpiresAt)
        {
            return TransferAccess.Refuse(RefusalReason.Expired, $"Transfer {id.Abbreviated} expired at {record.ExpiresAt:HH:mm:ss} UTC.");
        }

        return new TransferAccess(record, role, null, "");
    }

    /// <summary>Hands a peer its keys, once. Returns the keys or the refusal.</summary>
    public TransferAccess FetchKeys(TransferId id, uint sessionId, string fingerprint, DateTimeOffset now)
    {
        var access = Access(id, sessionId, fingerprint, now);
        if (access.Record is not { } record)
        {
            return access;
        }

        if (record.Keys is null)
        {
            return TransferAccess.Refuse(record.Mode == TransferMode.E2e ? RefusalReason.WrongState : RefusalReason.AlreadyUsed,
                record.Mode == TransferMode.E2e ? "End-to-end transfers have no key-manager keys." : $"The keys of transfer {id.Abbreviated} were already used.");
        }

        var fetched = access.Role == TransferRole.Sender ? record.SenderFetched : record.ReceiverFetched;
        if (fetched)
        {
            return TransferAccess.Refuse(RefusalReason.AlreadyUsed, $"The keys of transfer {id.Abbreviated} were already fetched; each peer gets them once.");
        }

        if (access.Role == TransferRole.Sender)
        {
            record.SenderFetched = true;
        }
        else
        {
            record.ReceiverFetched = true;
        }

        return access;
    }

    /// <summary>
    /// Records a peer's key confirmation. cbc/cfb: the MAC must match the issued keys (and the keys must have
    /// been fetched). When both confirmed, the keys are zeroed: the key manager needs them no longer.
    /// Returns the access (refusal: the transfer failed) and whether both have now confirmed.
    /// </summary>
    public (TransferAccess Access, bool BothConfirmed) Confirm(TransferId id, uint sessionId, string fingerprint, ReadOnlySpan<byte> mac, DateTimeOffset now)
    {
        var access = Access(id, sessionId, fingerprint, now);
        if (access.Record is not { } record)
        {
            return (access, false);
        }

        var role = access.Role;
        if (record.State != TransferState.Issued || (role == TransferRole.Sender ? record.SenderConfirmed : record.ReceiverConfirmed))
        {
            return (TransferAccess.Refuse(RefusalReason.AlreadyUsed, $"Transfer {id.Abbreviated} was already confirmed."), false);
        }

        if (record.Mode != TransferMode.E2e)
        {
            var fetched = role == TransferRole.Sender ? record.SenderFetched : record.ReceiverFetched;
            if (!fetched || record.Keys is null || !record.Keys.VerifyConfirmation(role, mac))
            {
                return (TransferAccess.Refuse(RefusalReason.BadConfirmation, $"The {Describe(role)}'s key confirmation for transfer {id.Abbreviated} did not verify."), false);
            }
        }
        else if (!mac.IsEmpty)
        {
            return (TransferAccess.Refuse(RefusalReason.BadConfirmation, "An end-to-end confirmation carries no MAC."), false);
        }

        if (role == TransferRole.Sender)
        {
            record.SenderConfirmed = true;
        }
        else
        {
            record.ReceiverConfirmed = true;
        }

        var both = record.SenderConfirmed && record.ReceiverConfirmed;
        if (both)
        {
            Move(record, TransferEvent.BothConfirmed);
            record.DropKeys();
        }

        return (access, both);
    }

    /// <summary>The waiter's socket is open: the transfer starts.</summary>
    public TransferAccess ListenerReady(TransferId id, uint sessionId, string fingerprint, DateTimeOffset now)
    {
        var access = Access(id, sessionId, fingerprint, now);
        if (access.Record is not { } record)
        {
            return access;
        }

        if (access.Role != TransferRole.Receiver || record.State != TransferState.Confirmed)
        {
            return TransferAccess.Refuse(RefusalReason.WrongState, "Only the confirmed waiter announces its socket.");
        }

        Move(record, TransferEvent.ListenerReady);
        return access;
    }

    /// <summary>
    /// Records a peer's report. A failure ends the transfer at once; two successes end it with a verdict
    /// on the block counts. Returns the verdict when the transfer is over, else null.
    /// </summary>
    public (TransferAccess Access, VerdictMessage? Verdict) Report(ReportMessage report, uint sessionId, string fingerprint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (_transfers.TryGetValue(report.TransferId, out var known) && TransferMachine.IsFinal(known.State) && known.RoleOf(sessionId, fingerprint) is { } lateRole)
        {
            // The other peer's failure already ended it and both were told; this report changes nothing.
            return (new TransferAccess(known, lateRole, null, "late"), null);
        }

        var access = Access(report.TransferId, sessionId, fingerprint, now, allowAfterExpiry: true);
        if (access.Record is not { } record)
        {
            return (access, null);
        }

        if (access.Role == TransferRole.Sender)
        {
            record.SenderReport ??= report;
        }
        else
        {
            record.ReceiverReport ??= report;
        }

        if (!report.Succeeded)
        {
            return (access, Fail(record, $"the {Describe(access.Role)} ({(access.Role == TransferRole.Sender ? record.Sender.Name : record.Receiver.Name)}) reported: {report.Reason}", now));
        }

        if (record.SenderReport is not { } s || record.ReceiverReport is not { } r)
        {
            return (access, null);
        }

        if (record.State != TransferState.Transferring)
        {
            // Both succeeded without a file moving (e.g. every file declined before the socket opened): no counts to compare.
            return (access, Fail(record, "the transfer never started", now));
        }

        Move(record, TransferEvent.BothReported);
        var match = s.Blocks == r.Blocks && s.Bytes == r.Bytes;
        var verdict = new VerdictMessage(record.Id, match ? VerdictKind.Match : VerdictKind.Mismatch, s.Blocks, r.Blocks,
            match
                ? $"Block counts match: {s.Blocks} {BlockWord(record.Mode)} sent and received."
                : $"Block counts differ: the sender reported {s.Blocks} {BlockWord(record.Mode)}, the receiver {r.Blocks}.");
        record.Verdict = verdict;
        record.EndedAt = now;
        return (access, verdict);
    }

    /// <summary>Ends a live transfer as failed (peer left, bad confirmation, expiry) and returns the verdict.</summary>
    public VerdictMessage Fail(TransferRecord record, string reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_transfers.ContainsKey(record.Id))
        {
            throw new ArgumentException("The transfer was not issued by this registry.", nameof(record));
        }

        if (record.Verdict is { } existing)
        {
            return existing;
        }

        Move(record, TransferEvent.Failure);
        record.DropKeys();
        var verdict = new VerdictMessage(record.Id, VerdictKind.Failed, record.SenderReport?.Blocks ?? 0, record.ReceiverReport?.Blocks ?? 0, "Transfer failed: " + reason + ".");
        record.Verdict = verdict;
        record.EndedAt = now;
        return verdict;
    }

    /// <summary>
    /// Fails every live transfer whose keys expired before the file started to move, and forgets transfers
    /// that ended more than <see cref="RetainFinished"/> ago (memory stays bounded on a long-running server).
    /// </summary>
    public IReadOnlyList<(TransferRecord Record, VerdictMessage Verdict)> ExpireDue(DateTimeOffset now)
    {
        foreach (var old in _transfers.Values.Where(t => t.EndedAt is { } ended && now - ended > RetainFinished).Select(t => t.Id).ToList())
        {
            _transfers.Remove(old);
        }

        var expired = new List<(TransferRecord, VerdictMessage)>();
        foreach (var record in _transfers.Values)
        {
            if (now > record.ExpiresAt && TransferMachine.TryNext(record.State, TransferEvent.Expired, out _))
            {
                expired.Add((record, Fail(record, $"its keys expired at {record.ExpiresAt:HH:mm:ss} UTC before the file moved", now)));
            }
        }

        return expired;
    }

    /// <summary>The live transfer a session takes part in, if any.</summary>
    public TransferRecord? LiveTransferOf(uint sessionId) =>
        _transfers.Values.FirstOrDefault(t => !TransferMachine.IsFinal(t.State) && (t.Sender.SessionId == sessionId || t.Receiver.SessionId == sessionId));

    internal static string Describe(TransferRole role) => role == TransferRole.Sender ? "sender" : "receiver";

    private static string BlockWord(TransferMode mode) => mode == TransferMode.E2e ? "chunks" : "AES blocks";

    private static void Move(TransferRecord record, TransferEvent transferEvent)
    {
        if (!TransferMachine.TryNext(record.State, transferEvent, out var next))
        {
            throw new InvalidOperationException($"Transfer {record.Id.Abbreviated}: {transferEvent} is not allowed in {record.State}.");
        }

        record.State = next;
    }
}
