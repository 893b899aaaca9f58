using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Manager;

/// <summary>Where one client's conversation with the key manager stands.</summary>
internal enum KmSessionState
{
    /// <summary>Connected over the authenticated channel; its ClientHello is due.</summary>
    AwaitingHello,
    /// <summary>Welcomed; the next command is <c>send</c>, <c>wait</c> or <c>end</c>.</summary>
    Menu,
    /// <summary>Asked to send and got the list of waiting peers; <c>conn</c> picks one.</summary>
    Choosing,
    /// <summary>Offered to senders until one picks it.</summary>
    Waiting,
    /// <summary>In a new transfer: fetching keys (cbc/cfb) and confirming.</summary>
    Paired,
    /// <summary>Confirmed; the waiter is opening its socket, the sender is told where.</summary>
    Confirmed,
    /// <summary>The file moves peer to peer.</summary>
    Transferring,
    /// <summary>Reported its block count; the verdict is due.</summary>
    Reported,
    /// <summary>Said <c>end</c> or left.</summary>
    Closed,
}

/// <summary>What moves a session: a client message, or an event caused by the other peer of its transfer.</summary>
internal enum KmSessionInput
{
    ClientHello,
    Wait,
    Send,
    Conn,
    FetchKeys,
    Confirm,
    Listening,
    Report,
    End,
    /// <summary>A sender picked this waiting client.</summary>
    ChosenBySender,
    /// <summary>Both peers confirmed; the sender is told where to connect (sender side of Listening).</summary>
    PeerListening,
    /// <summary>The key manager judged the transfer (match, mismatch or failure).</summary>
    Verdict,
}

/// <summary>
/// The key manager's view of one client as a table: every allowed
/// (state, input) pair and the state it leads to. Anything not in the table is refused as "expected X,
/// got Y". Pure: the server shell looks transitions up here and does the I/O.
/// <code>
///  AwaitingHello --ClientHello--> Menu --send--> Choosing --conn--> Paired --confirm--> Confirmed
///  Menu --wait--> Waiting --(chosen)--> Paired            Confirmed --listening / peer listening--> Transferring
///  Paired | Confirmed | Transferring --report--> Reported --verdict--> Menu        Menu | Choosing | Waiting --end--> Closed
/// </code>
/// </summary>
internal static class KmSessionMachine
{
    private static readonly Dictionary<(KmSessionState From, KmSessionInput Input), KmSessionState> s_table = new()
    {
        [(KmSessionState.AwaitingHello, KmSessionInput.ClientHello)] = KmSessionState.Menu,

        [(KmSessionState.Menu, KmSessionInput.Send)] = KmSessionState.Choosing,
        [(KmSessionState.Menu, KmSessionInput.Wait)] = KmSessionState.Waiting,
        [(KmSessionState.Menu, KmSessionInput.End)] = KmSessionState.Closed,

        [(KmSessionState.Choosing, KmSessionInput.Send)] = KmSessionState.Choosing,
        [(KmSessionState.Choosing, KmSessionInput.Wait)] = KmSessionState.Waiting,
        [(KmSessionState.Choosing, KmSessionInput.Conn)] = KmSessionState.Paired,
        [(KmSessionState.Choosing, KmSessionInput.End)] = KmSessionState.Closed,

        [(KmSessionState.Waiting, KmSessionInput.ChosenBySender)] = KmSessionState.Paired,
        [(KmSessionState.Waiting, KmSessionInput.End)] = KmSessionState.Closed,

        [(KmSessionState.Paired, KmSessionInput.FetchKeys)] = KmSessionState.Paired,
        [(KmSessionState.Paired, KmSessionInput.Confirm)] = KmSessionState.Confirmed,
        [(KmSessionState.Paired, KmSessionInput.Report)] = KmSessionState.Reported,
        [(KmSessionState.Paired, KmSessionInput.Verdict)] = KmSessionState.Menu,

        [(KmSessionState.Confirmed, KmSessionInput.Listening)] = KmSessionState.Transferring,
        [(KmSessionState.Confirmed, KmSessionInput.PeerListening)] = KmSessionState.Transferring,
        [(KmSessionState.Confirmed, KmSessionInput.Report)] = KmSessionState.Reported,
        [(KmSessionState.Confirmed, KmSessionInput.Verdict)] = KmSessionState.Menu,

        [(KmSessionState.Transferring, KmSessionInput.Report)] = KmSessionState.Reported,
        [(KmSessionState.Transferring, KmSessionInput.Verdict)] = KmSessionState.Menu,

        [(KmSessionState.Reported, KmSessionInput.Verdict)] = KmSessionState.Menu,
    };

    /// <summary>Every transition, for documentation and tests.</summary>
    public static IReadOnlyDictionary<(KmSessionState From, KmSessionInput Input), KmSessionState> Table => s_table;

    public static bool TryNext(KmSessionState state, KmSessionInput input, out KmSessionState next) => s_table.TryGetValue((state, input), out next);

    /// <summary>The inputs a state accepts, for "expected X, got Y" refusals.</summary>
    public static IEnumerable<KmSessionInput> Expected(KmSessionState state) => s_table.Keys.Where(k => k.From == state).Select(k => k.Input);

    /// <summary>The session input a client message stands for, or null for messages a client never sends.</summary>
    public static KmSessionInput? InputFor(KdMessageType type) => type switch
    {
        KdMessageType.ClientHello => KmSessionInput.ClientHello,
        KdMessageType.Wait => KmSessionInput.Wait,
        KdMessageType.Send => KmSessionInput.Send,
        KdMessageType.Conn => KmSessionInput.Conn,
        KdMessageType.FetchKeys => KmSessionInput.FetchKeys,
        KdMessageType.Confirm => KmSessionInput.Confirm,
        KdMessageType.Listening => KmSessionInput.Listening,
        KdMessageType.Report => KmSessionInput.Report,
        KdMessageType.End => KmSessionInput.End,
        _ => null,
    };
}
