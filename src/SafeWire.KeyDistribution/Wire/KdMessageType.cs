namespace SafeWire.KeyDistribution.Wire;

/// <summary>
/// Every message of the key-distribution protocols. 1–31: client ↔ key manager (always inside an
/// authenticated SafeWire channel). 32–63: peer ↔ peer (plain TCP for cbc/cfb, a SafeWire channel for e2e).
/// docs/KEY-DISTRIBUTION.md lists their fields.
/// </summary>
public enum KdMessageType : byte
{
    ClientHello = 1,
    Welcome = 2,
    Wait = 3,
    Waiting = 4,
    Send = 5,
    PeerList = 6,
    Conn = 7,
    Paired = 8,
    FetchKeys = 9,
    KeyGrant = 10,
    Confirm = 11,
    Listen = 12,
    Listening = 13,
    ConnectTo = 14,
    Report = 15,
    Verdict = 16,
    End = 17,
    Bye = 18,
    Refused = 19,

    PeerHello = 32,
    PeerHelloAck = 33,
    FileOffer = 34,
    FileAnswer = 35,
    Chunk = 36,
    FileEnd = 37,
    FileResult = 38,
    PeerDone = 39,
    PeerAbort = 40,
}

/// <summary>How a transfer protects the file: the seed's two block modes, or an end-to-end SafeWire session.</summary>
public enum TransferMode : byte
{
    Cbc = 1,
    Cfb = 2,
    E2e = 3,
}

/// <summary>Which end of a transfer a peer is.</summary>
public enum TransferRole : byte
{
    Sender = 1,
    Receiver = 2,
}

public static class TransferModeNames
{
    public static string Name(this TransferMode mode) => mode switch
    {
        TransferMode.Cbc => "cbc",
        TransferMode.Cfb => "cfb",
        TransferMode.E2e => "e2e",
        _ => "unknown",
    };

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
