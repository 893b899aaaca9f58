using System.Net;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Manager;

/// <summary>What the key manager shows and logs: sessions, each pairing, each verdict, refusals.</summary>
public interface IKeyManagerLog
{
    void SessionOpened(uint sessionId, string name, string fingerprint, IPAddress? address);

    void SessionClosed(uint sessionId, string name, string reason);

    void Pairing(TransferRecord transfer);

    void Verdict(TransferRecord transfer, VerdictMessage verdict);

    void Refusal(uint sessionId, string name, RefusalReason reason, string message);
}
