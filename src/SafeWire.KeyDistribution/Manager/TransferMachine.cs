namespace SafeWire.KeyDistribution.Manager;

/// <summary>Where one transfer (one pairing, one set of keys) stands at the key manager.</summary>
public enum TransferState
{
    /// <summary>Issued: the peers fetch their keys (cbc/cfb) and confirm.</summary>
    Issued,
    /// <summary>Both peers confirmed; the waiter is opening its socket.</summary>
    Confirmed,
    /// <summary>The sender knows where to connect; the file moves.</summary>
    Transferring,
    /// <summary>Both reported success; the verdict says whether the block counts match.</summary>
    Completed,
    /// <summary>A peer failed, refused, left, or the keys expired before use.</summary>
    Failed,
}

/// <summary>What moves a transfer.</summary>
internal enum TransferEvent
{
    BothConfirmed,
    ListenerReady,
    BothReported,
    Failure,
    Expired,
}

/// <summary>
/// The pairing's life as a table. Issued → Confirmed → Transferring → Completed; Failure from any
/// live state; expiry only before the file starts to move (a long transfer is not cut off mid-file).
/// Completed and Failed are final: the transfer ID is spent and every later use is refused as reused.
/// </summary>
internal static class TransferMachine
{
    private static readonly Dictionary<(TransferState From, TransferEvent Event), TransferState> s_table = new()
    {
        [(TransferState.Issued, TransferEvent.BothConfirmed)] = TransferState.Confirmed,
        [(TransferState.Confirmed, TransferEvent.ListenerReady)] = TransferState.Transferring,
        [(TransferState.Transferring, TransferEvent.BothReported)] = TransferState.Completed,

        [(TransferState.Issued, TransferEvent.Failure)] = TransferState.Failed,
        [(TransferState.Confirmed, TransferEvent.Failure)] = TransferState.Failed,
        [(TransferState.Transferring, TransferEvent.Failure)] = TransferState.Failed,

        [(TransferState.Issued, TransferEvent.Expired)] = TransferState.Failed,
        [(TransferState.Confirmed, TransferEvent.Expired)] = TransferState.Failed,
    };

    public static IReadOnlyDictionary<(TransferState From, TransferEvent Event), TransferState> Table => s_table;

    public static bool TryNext(TransferState state, TransferEvent transferEvent, out TransferState next) => s_table.TryGetValue((state, transferEvent), out next);

    public static bool IsFinal(TransferState state) => state is TransferState.Completed or TransferState.Failed;
}
