using System.Globalization;
using System.Net;
using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Wire;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Km;

/// <summary>The key manager's log: one timestamped line per session, pairing, verdict and refusal on standard output.</summary>
internal sealed class KmConsoleLog(IAnsiConsole console, TimeProvider time) : IKeyManagerLog
{
    private readonly Lock _gate = new();

    public void SessionOpened(uint sessionId, string name, string fingerprint, IPAddress? address) =>
        Write($"peer {sessionId} connected: {name} {fingerprint} from {address}");

    public void SessionClosed(uint sessionId, string name, string reason) =>
        Write(sessionId == 0 ? $"connection from {name} refused: {reason}" : $"peer {sessionId} ({name}) {reason}");

    public void Pairing(TransferRecord transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        var keys = transfer.Mode == TransferMode.E2e
            ? "introduced only, no keys issued (end-to-end)"
            : $"fresh AES-256 key, IV and HMAC key issued, valid until {transfer.ExpiresAt.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} UTC";
        Write($"pairing {transfer.Id.Abbreviated}: {transfer.Sender.Name} ({transfer.Sender.Fingerprint}) -> {transfer.Receiver.Name} ({transfer.Receiver.Fingerprint}), {transfer.Mode.Name()}: {keys}");
    }

    public void Verdict(TransferRecord transfer, VerdictMessage verdict)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(verdict);
        var word = verdict.Kind switch
        {
            VerdictKind.Match => "MATCH",
            VerdictKind.Mismatch => "MISMATCH",
            _ => "FAILED",
        };
        Write($"verdict {transfer.Id.Abbreviated} ({transfer.Sender.Name} -> {transfer.Receiver.Name}, {transfer.Mode.Name()}): {word}: {verdict.Text}");
    }

    public void Refusal(uint sessionId, string name, RefusalReason reason, string message) =>
        Write($"refused peer {sessionId} ({name}): {reason}: {message}");

    private void Write(string line)
    {
        lock (_gate)
        {
            console.WriteLine($"{time.GetLocalNow():HH:mm:ss} {line}");
        }
    }
}

/// <summary>The --journal file: what the key manager handled, message by message; sizes only, never contents.</summary>
internal sealed class KmJournal(string path) : IDisposable
{
    private readonly StreamWriter _writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    private readonly Lock _gate = new();

    public IFrameObserver For(uint sessionId) => new Observer(this, sessionId);

    public void Dispose() => _writer.Dispose();

    private void Write(uint sessionId, bool outgoing, KdMessageType type, int length)
    {
        lock (_gate)
        {
            _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:O} peer={sessionId} {(outgoing ? "out" : "in")} {type} {length}"));
        }
    }

    private sealed class Observer(KmJournal journal, uint sessionId) : IFrameObserver
    {
        public void OnFrame(bool outgoing, KdMessageType type, ReadOnlySpan<byte> body) => journal.Write(sessionId, outgoing, type, body.Length);
    }
}
