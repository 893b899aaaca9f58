using System.Net;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Manager;

/// <summary>What the key manager shows and logs: sessions, each pairing, each verdict, refusals.</summary>
public interface IKeyManagerLog
{
    /// <summary>A client authenticated and its session started.</summary>
    void SessionOpened(uint sessionId, string name, string fingerprint, IPAddress? address);

    /// <summary>A client's session ended, with why.</summary>
    void SessionClosed(uint sessionId, string name, string reason);

    /// <summary>A sender chose a waiting peer and a transfer was issued.</summary>
    void Pairing(TransferRecord transfer);

    /// <summary>A transfer was judged from the two peers' reports (or failed).</summary>
    void Verdict(TransferRecord transfer, VerdictMessage verdict);

    /// <summary>A client's request was refused.</summary>
    void Refusal(uint sessionId, string name, RefusalReason reason, string message);
}
