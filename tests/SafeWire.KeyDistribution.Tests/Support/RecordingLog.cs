using System.Collections.Concurrent;
using System.Net;
using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Tests.Support;

internal sealed class RecordingLog : IKeyManagerLog
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ConcurrentQueue<VerdictMessage> Verdicts { get; } = new();

    public string Text => string.Join("\n", Lines);

    public void SessionOpened(uint sessionId, string name, string fingerprint, IPAddress? address) => Lines.Enqueue($"open {sessionId} {name}");

    public void SessionClosed(uint sessionId, string name, string reason) => Lines.Enqueue($"close {sessionId} {name}: {reason}");

    public void Pairing(TransferRecord transfer) => Lines.Enqueue($"pairing {transfer.Id.Abbreviated} {transfer.Mode}: {transfer.Sender.Name} -> {transfer.Receiver.Name}");

    public void Verdict(TransferRecord transfer, VerdictMessage verdict)
    {
        Verdicts.Enqueue(verdict);
        Lines.Enqueue($"verdict {transfer.Id.Abbreviated} {verdict.Kind}: {verdict.Text}");
    }

    public void Refusal(uint sessionId, string name, RefusalReason reason, string message) => Lines.Enqueue($"refused {name} {reason}: {message}");
}
