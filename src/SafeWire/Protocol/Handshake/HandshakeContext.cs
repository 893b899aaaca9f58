using System.Security.Cryptography;
using SafeWire.Protocol.KeySchedule;
using SafeWire.Protocol.Messages;

namespace SafeWire.Protocol.Handshake;

/// <summary>What the handshake states ask of the record layer (implemented by <see cref="ProtocolConnection"/>).</summary>
internal interface IHandshakeRecordLayer
{
    /// <summary>Queues a handshake message under the current write keys.</summary>
    void QueueHandshake(byte[] message);

    /// <summary>Seals what is queued under the old keys, then switches.</summary>
    void ChangeWriteKeys(CipherSuite suite, TrafficSecret secret);

    /// <summary>Switches read keys; fails if a handshake message straddles the change.</summary>
    void ChangeReadKeys(CipherSuite suite, TrafficSecret secret);

    /// <summary>From now on every record carries (and must carry) this session ID.</summary>
    void SetSessionId(byte[] sessionId);
}

/// <summary>State shared by the handshake states of one connection: settings, transcript, negotiated values.</summary>
internal sealed class HandshakeContext : IDisposable
{
    private IncrementalHash? _transcript;

    public HandshakeContext(HandshakeSettings settings, IHandshakeRecordLayer records)
    {
        Settings = settings;
        Records = records;
        _transcript = settings.Derivation.CreateTranscript();
    }

    public HandshakeSettings Settings { get; }

    public IHandshakeRecordLayer Records { get; }

    public KeyDerivation Derivation => Settings.Derivation;

    public HandshakeResult? Result { get; set; }

    /// <summary>Hashes a handshake message (header included) into the transcript.</summary>
    public void AddToTranscript(ReadOnlySpan<byte> message) => Transcript.AppendData(message);

    /// <summary>Transcript-Hash of every message so far.</summary>
    public byte[] TranscriptHash()
    {
        var hash = new byte[Derivation.HashLength];
        Transcript.GetCurrentHash(hash);
        return hash;
    }

    /// <summary>Drops the transcript once the handshake is complete (messages after it are not hashed).</summary>
    public void ReleaseTranscript()
    {
        _transcript?.Dispose();
        _transcript = null;
    }

    /// <summary>Adds to the transcript and queues for sending.</summary>
    public void Send(byte[] message)
    {
        AddToTranscript(message);
        Records.QueueHandshake(message);
    }

    public void Dispose() => ReleaseTranscript();

    private IncrementalHash Transcript => _transcript ?? throw new InvalidOperationException("The handshake transcript is closed: the handshake is over.");
}

/// <summary>
/// One handshake state: it accepts exactly the messages it names and returns the next state. Anything
/// else is "expected X, got Y".
/// </summary>
internal abstract class HandshakeState : IDisposable
{
    /// <summary>What this state waits for, for error messages and diagnostics.</summary>
    public abstract string Expecting { get; }

    /// <summary>Handles one handshake message and returns the next state.</summary>
    /// <param name="context">The handshake in progress.</param>
    /// <param name="type">The message's type.</param>
    /// <param name="body">The message body, after the 4-byte header.</param>
    /// <param name="message">The whole message (4-byte header + body), as hashed into the transcript.</param>
    public abstract HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message);

    protected ProtocolException Unexpected(HandshakeType got) => new(Alert.UnexpectedMessage, $"Expected {Expecting}, got {got}.");

    /// <summary>
    /// Releases the secrets this state owns. Ownership moves with each transition (a state hands its secrets to the
    /// state it returns), so the connection disposes only the state that is current when the handshake fails, or
    /// when the connection is disposed mid-handshake. Idempotent.
    /// </summary>
    public void Dispose() => ReleaseSecrets();

    /// <summary>Zeroes and disposes what this state owns (nothing by default).</summary>
    protected virtual void ReleaseSecrets()
    {
    }
}

/// <summary>
/// Secrets a handler creates before anything owns them: disposed (zeroed) if the handler fails before
/// <see cref="Keep"/>, so a failure halfway through a flight leaves no secret behind.
/// </summary>
internal sealed class PendingSecrets : IDisposable
{
    private readonly List<IDisposable> _items = [];
    private bool _kept;

    public T Add<T>(T item)
        where T : IDisposable
    {
        _items.Add(item);
        return item;
    }

    /// <summary>Everything added now has an owner.</summary>
    public void Keep() => _kept = true;

    public void Dispose()
    {
        if (!_kept)
        {
            foreach (var item in _items)
            {
                item.Dispose();
            }
        }
    }
}

/// <summary>The handshake is over; post-handshake messages are handled by the connection.</summary>
internal sealed class Established : HandshakeState
{
    public static readonly Established Instance = new();

    public override string Expecting => "no handshake message (established)";

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message) => throw Unexpected(type);
}
