namespace SafeWire.KeyDistribution.Wire;

/// <summary>
/// Every message of the key-distribution protocols. 1–31: client ↔ key manager (always inside an
/// authenticated SafeWire channel). 32–63: peer ↔ peer (plain TCP for cbc/cfb, a SafeWire channel for e2e).
/// docs/KEY-DISTRIBUTION.md lists their fields.
/// </summary>
public enum KdMessageType : byte
{
    /// <summary>Peer → key manager: the name the peer wants to be listed under.</summary>
    ClientHello = 1,
    /// <summary>Key manager → peer: its session id, name and authenticated fingerprint.</summary>
    Welcome = 2,
    /// <summary>Peer → key manager: list me as waiting for a sender.</summary>
    Wait = 3,
    /// <summary>Key manager → peer: the peer is on the waiting list.</summary>
    Waiting = 4,
    /// <summary>Peer → key manager: show me who is waiting.</summary>
    Send = 5,
    /// <summary>Key manager → peer: the waiting peers (id, name, fingerprint).</summary>
    PeerList = 6,
    /// <summary>Peer → key manager: pair me with this waiting peer, in this mode.</summary>
    Conn = 7,
    /// <summary>Key manager → both peers: a transfer was issued (id, mode, role, the other peer, expiry).</summary>
    Paired = 8,
    /// <summary>Peer → key manager (cbc/cfb): send me this transfer's keys (once per peer).</summary>
    FetchKeys = 9,
    /// <summary>Key manager → peer (cbc/cfb): the transfer keys, bound to both fingerprints and an expiry.</summary>
    KeyGrant = 10,
    /// <summary>Peer → key manager: the key-confirmation MAC proving the peer holds the keys.</summary>
    Confirm = 11,
    /// <summary>Key manager → waiter: open a socket for the sender.</summary>
    Listen = 12,
    /// <summary>Waiter → key manager: the host and port the sender should dial.</summary>
    Listening = 13,
    /// <summary>Key manager → sender: dial this host and port.</summary>
    ConnectTo = 14,
    /// <summary>Peer → key manager: how the transfer went on this side (blocks, bytes, files).</summary>
    Report = 15,
    /// <summary>Key manager → both peers: the two reports compared (match, mismatch or failed).</summary>
    Verdict = 16,
    /// <summary>Peer → key manager: the peer is leaving.</summary>
    End = 17,
    /// <summary>Key manager → peer: goodbye; the connection closes.</summary>
    Bye = 18,
    /// <summary>Key manager → peer: a request was refused, with a reason and a line of text.</summary>
    Refused = 19,

    /// <summary>Sender → waiter: the transfer id and the sender's key-confirmation MAC.</summary>
    PeerHello = 32,
    /// <summary>Waiter → sender: the waiter's key-confirmation MAC.</summary>
    PeerHelloAck = 33,
    /// <summary>Sender → waiter: a file's name and sizes, to accept or decline.</summary>
    FileOffer = 34,
    /// <summary>Waiter → sender: accept or decline the offered file.</summary>
    FileAnswer = 35,
    /// <summary>Sender → waiter: one encrypted, authenticated chunk of the file.</summary>
    Chunk = 36,
    /// <summary>Sender → waiter: the MAC over the whole file.</summary>
    FileEnd = 37,
    /// <summary>Waiter → sender: whether the file arrived intact and was saved.</summary>
    FileResult = 38,
    /// <summary>Sender → waiter: no more files.</summary>
    PeerDone = 39,
    /// <summary>Either peer: the transfer failed, with the reason.</summary>
    PeerAbort = 40,
}

/// <summary>How a transfer protects the file: the original design's two block modes, or an end-to-end SafeWire session.</summary>
public enum TransferMode : byte
{
    /// <summary>AES-256-CBC with keys the key manager issues, plus HMAC-SHA256 per chunk and per file.</summary>
    Cbc = 1,
    /// <summary>AES-256-CFB with keys the key manager issues, plus HMAC-SHA256 per chunk and per file.</summary>
    Cfb = 2,
    /// <summary>A SafeWire session between the two peers: the key manager only introduces them and never holds a key (the default).</summary>
    E2e = 3,
}

/// <summary>Which end of a transfer a peer is.</summary>
public enum TransferRole : byte
{
    /// <summary>The peer that chose the other and sends files.</summary>
    Sender = 1,
    /// <summary>The waiting peer that receives files.</summary>
    Receiver = 2,
}

/// <summary>The names of the transfer modes as users type them: <c>cbc</c>, <c>cfb</c>, <c>e2e</c>.</summary>
public static class TransferModeNames
{
    /// <summary>The mode's lower-case name, as <see cref="TryParse"/> reads it.</summary>
    public static string Name(this TransferMode mode) => mode switch
    {
        TransferMode.Cbc => "cbc",
        TransferMode.Cfb => "cfb",
        TransferMode.E2e => "e2e",
        _ => "unknown",
    };

    /// <summary>Reads a mode name (case and surrounding spaces ignored); false for anything else.</summary>
    public static bool TryParse(string text, out TransferMode mode)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "cbc":
                mode = TransferMode.Cbc;
                return true;
            case "cfb":
                mode = TransferMode.Cfb;
                return true;
            case "e2e":
                mode = TransferMode.E2e;
                return true;
            default:
                mode = default;
                return false;
        }
    }
}
