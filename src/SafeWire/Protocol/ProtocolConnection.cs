using System.Buffers;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol.Handshake;
using SafeWire.Protocol.KeySchedule;
using SafeWire.Protocol.Messages;
using SafeWire.Protocol.Records;

namespace SafeWire.Protocol;

/// <summary>What one inbound record turned out to be.</summary>
internal enum RecordKind
{
    /// <summary>Handshake or key-management traffic, consumed internally (check <see cref="ProtocolConnection.HasOutput"/>).</summary>
    Control,
    /// <summary>Application data, decrypted in place.</summary>
    ApplicationData,
    /// <summary>The peer closed the connection in order.</summary>
    CloseNotify,
}

/// <summary>
/// One SafeWire connection, without I/O: whole records go in (opened in place), records to send come out.
/// Read side (<see cref="ProcessRecord"/>) and write side (<see cref="SealApplicationData"/>, <see cref="WriteAlert"/>)
/// touch disjoint state after the handshake, so one reader and one writer may run concurrently.
/// </summary>
internal sealed class ProtocolConnection : IHandshakeRecordLayer, IDisposable
{
    /// <summary>Space <see cref="SealApplicationData"/> may need: one KeyUpdate record plus one full record.</summary>
    public const int MaxSealedOutput = 2 * ProtocolConstants.MaxRecordLength;

    private const int AlertLength = 2;
    private const byte NoTrustReason = 0xFF;

    private readonly HandshakeSettings _settings;
    private readonly HandshakeContext _context;
    private readonly List<byte[]> _queued = [];
    private readonly byte[] _sessionId = new byte[ProtocolConstants.SessionIdLength];
    private HandshakeState _state;
    private RecordProtection? _read;
    private RecordProtection? _write;
    private ApplicationTrafficSecret? _readSecret;
    private ApplicationTrafficSecret? _writeSecret;
    private bool _failed;

    // Records waiting to be sent (handshake flights, NewSessionTicket); created when needed and dropped once the
    // handshake is over and written, so an established connection holds no output buffer.
    private ArrayBufferWriter<byte>? _output;

    // Handshake reassembly: messages may span records and records may hold several messages.
    // Invariant: _handshakeBuffer[0.._handshakeLength) holds the start of the next unparsed message(s).
    private byte[] _handshakeBuffer = [];
    private int _handshakeLength;

    // Only for the observer (safewire trace): the key log names a session by its ClientHello random; events raised
    // while a received message is handled are held back so the observer sees that message before its consequences.
    private byte[] _clientRandom = [];
    private List<(Action<IHandshakeObserver> Raise, byte[] SecretCopy)>? _heldBack;

    public ProtocolConnection(HandshakeSettings settings)
    {
        _settings = settings;
        _context = new HandshakeContext(settings, this);
        _state = settings.IsClient ? ClientHandshake.Start(_context) : new ExpectClientHello();
        FlushQueued();
    }

    public bool IsClient => _settings.IsClient;

    public bool IsHandshakeComplete => _context.Result is not null;

    public HandshakeResult? Result => _context.Result;

    /// <summary>What the handshake waits for next (diagnostics and timeouts).</summary>
    public string Expecting => _state.Expecting;

    public bool HasOutput => _output?.WrittenCount > 0;

    /// <summary>Records waiting to be sent; call <see cref="ClearOutput"/> once written.</summary>
    public ReadOnlyMemory<byte> Output => _output?.WrittenMemory ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>Marks the output as written. After the handshake this also releases the buffers only the handshake needed.</summary>
    public void ClearOutput()
    {
        _output?.ResetWrittenCount();
        ReleaseHandshakeBuffersIfDone();
    }

    /// <summary>Records sealed under the current write key (tests watch key updates through it).</summary>
    internal ulong WriteSequence => _write?.Sequence ?? 0;

    internal int KeyUpdatesReceived { get; private set; }

    internal int KeyUpdatesSent { get; private set; }

    /// <summary>
    /// Processes one whole record (header + body, as framed by <see cref="RecordHeader.TryRead"/>), in place.
    /// For application data, the plaintext is <paramref name="record"/>[offset..offset+length].
    /// Throws <see cref="ProtocolException"/> for anything wrong; the connection is then dead.
    /// </summary>
    public RecordKind ProcessRecord(Span<byte> record, out int offset, out int length)
    {
        if (_failed)
        {
            throw new InvalidOperationException("This connection has already failed; it accepts no more records.");
        }

        // Until the peer has received our first flight it cannot hold our keys: if this record fails after it made
        // us derive write keys (a ClientHello followed by stray bytes), the alert must still go out in plaintext.
        bool hadWriteKeys = _write is not null;
        try
        {
            return ProcessRecordCore(record, out offset, out length);
        }
        catch
        {
            _failed = true;
            if (!IsHandshakeComplete)
            {
                _state.Dispose();
            }

            if (!hadWriteKeys && _write is not null)
            {
                ForgetUnsentKeys();
            }

            throw;
        }
    }

    private RecordKind ProcessRecordCore(Span<byte> record, out int offset, out int length)
    {
        offset = 0;
        length = 0;
        if (!RecordHeader.TryRead(record, out var header) || record.Length != ProtocolConstants.RecordHeaderLength + header.Length)
        {
            throw new ProtocolException(Alert.DecodeError, "Incomplete record.");
        }

        // The session ID is also authenticated as part of the AAD; checking it first is the cheap path.
        if (!RecordHeader.SessionId(record).SequenceEqual(_sessionId))
        {
            // A peer that fails before it knows we hold its keys (a server dropping a connection for load before its
            // ServerHello went out) alerts in plaintext with an all-zero session ID (section 5): still its alert.
            if (header.Type == ContentType.Alert && !IsHandshakeComplete && !RecordHeader.SessionId(record).ContainsAnyExcept((byte)0))
            {
                return ProcessAlert(record[ProtocolConstants.RecordHeaderLength..]);
            }

            throw new ProtocolException(Alert.IllegalParameter, "A record carries the wrong session ID.");
        }

        ContentType type;
        Span<byte> content;
        if (_read is null)
        {
            if (header.Type == ContentType.ApplicationData)
            {
                throw new ProtocolException(Alert.UnexpectedMessage, $"Expected {_state.Expecting}, got an encrypted record before keys were agreed.");
            }

            if (header.Length > ProtocolConstants.MaxPlaintext)
            {
                throw new ProtocolException(Alert.RecordOverflow, "Plaintext record longer than 16384 bytes.");
            }

            type = header.Type;
            content = record[ProtocolConstants.RecordHeaderLength..];
        }
        else
        {
            if (header.Type == ContentType.Alert && !_read.IsApplication)
            {
                // A peer that fails before it has keys alerts in plaintext (section 5); during the handshake it
                // may not have them yet even though we already read with handshake keys.
                return ProcessAlert(record[ProtocolConstants.RecordHeaderLength..]);
            }

            if (header.Type != ContentType.ApplicationData)
            {
                throw new ProtocolException(Alert.UnexpectedMessage, $"Expected an encrypted record, got a plaintext {header.Type} record.");
            }

            if (!_read.TryOpen(record, out int innerLength))
            {
                throw new ProtocolException(Alert.BadRecordMac, "A record failed authentication: it was modified, replayed, reordered or a record is missing.");
            }

            // TLSInnerPlaintext = content | ContentType type (no padding in SafeWire 1).
            int start = ProtocolConstants.RecordHeaderLength + _read.PlaintextOffset;
            if (innerLength == 0 || innerLength > ProtocolConstants.MaxPlaintext + 1)
            {
                throw new ProtocolException(Alert.RecordOverflow, "Decrypted record is empty or longer than 16384 bytes.");
            }

            type = (ContentType)record[start + innerLength - 1];
            content = record.Slice(start, innerLength - 1);
            if (type == ContentType.ApplicationData)
            {
                if (!_read.IsApplication)
                {
                    throw new ProtocolException(Alert.UnexpectedMessage, $"Expected {_state.Expecting}, got application data during the handshake.");
                }

                offset = start;
                length = content.Length;
                return RecordKind.ApplicationData;
            }
        }

        switch (type)
        {
            case ContentType.Handshake:
                if (content.IsEmpty)
                {
                    throw new ProtocolException(Alert.DecodeError, "Empty handshake record.");
                }

                ProcessHandshake(content);
                return RecordKind.Control;
            case ContentType.Alert:
                return ProcessAlert(content);
            default:
                throw new ProtocolException(Alert.UnexpectedMessage, $"Unexpected inner content type {(byte)type}.");
        }
    }

    /// <summary>
    /// Seals up to 16384 bytes of application data into <paramref name="destination"/> (at least
    /// <see cref="MaxSealedOutput"/> bytes), preceded by a KeyUpdate record when the key's budget is spent.
    /// </summary>
    public int SealApplicationData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (_write is null || !_write.IsApplication)
        {
            throw new InvalidOperationException("Application data can only be sealed after the handshake (call Authenticate first).");
        }

        if (data.Length > ProtocolConstants.MaxPlaintext)
        {
            throw new ArgumentOutOfRangeException(nameof(data), "At most 16384 bytes per record.");
        }

        int written = 0;
        if (_write.NeedsKeyUpdate)
        {
            written = SealInner(destination, ContentType.Handshake, EmptyMessage.Encode(HandshakeType.KeyUpdate));
            var next = _writeSecret!.Next();
            _writeSecret.Dispose();
            _writeSecret = next;
            _write.Dispose();
            _write = RecordProtection.Create(Result!.Suite, next, _settings.KeyUpdateAfterRecords);
            KeyUpdatesSent++;
        }

        return written + SealInner(destination[written..], ContentType.ApplicationData, data);
    }

    /// <summary>Writes an alert record (encrypted once keys exist). Reason 0xFF means none.</summary>
    public int WriteAlert(Alert alert, TrustFailureReason? reason, Span<byte> destination)
    {
        Span<byte> body = [(byte)alert, reason is { } r ? (byte)r : NoTrustReason];
        return SealInner(destination, ContentType.Alert, body);
    }

    /// <summary>RFC 8446 §7.5 exporter over the exporter secret (after the handshake).</summary>
    public void Export(string label, ReadOnlySpan<byte> context, Span<byte> destination)
    {
        var result = Result ?? throw new InvalidOperationException("Keying material can only be exported after the handshake.");
        result.Exporter.Export(label, context, destination);
    }

    void IHandshakeRecordLayer.QueueHandshake(byte[] message)
    {
        if (_settings.RewriteOutgoing is { } rewrite)
        {
            message = rewrite(message);
        }

        _queued.Add(message);
        Observe(sent: true, message);
    }

    void IHandshakeRecordLayer.ChangeWriteKeys(CipherSuite suite, TrafficSecret secret)
    {
        FlushQueued();
        ObserveSecret(secret, IsClient ? "CLIENT" : "SERVER");
        _write?.Dispose();
        _write = RecordProtection.Create(suite, secret, _settings.KeyUpdateAfterRecords);
        if (secret is ApplicationTrafficSecret app)
        {
            _writeSecret = app;
        }
    }

    void IHandshakeRecordLayer.ChangeReadKeys(CipherSuite suite, TrafficSecret secret)
    {
        if (_handshakeLength != 0)
        {
            throw new ProtocolException(Alert.UnexpectedMessage, "A handshake message straddles a key change.");
        }

        ObserveSecret(secret, IsClient ? "SERVER" : "CLIENT");
        _read?.Dispose();
        _read = RecordProtection.Create(suite, secret, _settings.KeyUpdateAfterRecords);
        if (secret is ApplicationTrafficSecret app)
        {
            _readSecret = app;
        }
    }

    void IHandshakeRecordLayer.SetSessionId(byte[] sessionId) => sessionId.CopyTo(_sessionId, 0);

    public void Dispose()
    {
        _state.Dispose();
        _read?.Dispose();
        _write?.Dispose();
        _readSecret?.Dispose();
        _writeSecret?.Dispose();
        _context.Result?.Dispose();
        _context.Dispose();
        CryptographicOperations.ZeroMemory(_handshakeBuffer);
    }

    /// <summary>
    /// Drops write keys and output the peer never received: the next alert goes out as a plaintext record with the
    /// all-zero session ID, which is what the peer can read.
    /// </summary>
    private void ForgetUnsentKeys()
    {
        _write?.Dispose();
        _write = null;
        _writeSecret?.Dispose();
        _writeSecret = null;
        _queued.Clear();
        _output?.Clear();
        Array.Clear(_sessionId);
    }

    private void ProcessHandshake(ReadOnlySpan<byte> content)
    {
        int needed = _handshakeLength + content.Length;
        if (needed > HandshakeFraming.HeaderLength + ProtocolConstants.MaxHandshakeMessage)
        {
            throw new ProtocolException(Alert.RecordOverflow, "Handshake message longer than 65536 bytes.");
        }

        if (needed > _handshakeBuffer.Length)
        {
            Array.Resize(ref _handshakeBuffer, Math.Max(needed, Math.Min(2 * _handshakeBuffer.Length, HandshakeFraming.HeaderLength + ProtocolConstants.MaxHandshakeMessage)));
        }

        content.CopyTo(_handshakeBuffer.AsSpan(_handshakeLength));
        _handshakeLength = needed;

        while (_handshakeLength >= HandshakeFraming.HeaderLength)
        {
            int bodyLength = (_handshakeBuffer[1] << 16) | (_handshakeBuffer[2] << 8) | _handshakeBuffer[3];
            if (bodyLength > ProtocolConstants.MaxHandshakeMessage)
            {
                throw new ProtocolException(Alert.RecordOverflow, $"Handshake message of {bodyLength} bytes announced; the limit is {ProtocolConstants.MaxHandshakeMessage}.");
            }

            int total = HandshakeFraming.HeaderLength + bodyLength;
            if (_handshakeLength < total)
            {
                break;
            }

            var message = _handshakeBuffer.AsSpan(0, total).ToArray();
            _handshakeBuffer.AsSpan(total, _handshakeLength - total).CopyTo(_handshakeBuffer);
            _handshakeLength -= total;
            Dispatch((HandshakeType)message[0], message);
        }
    }

    private void Dispatch(HandshakeType type, byte[] message)
    {
        var body = message.AsSpan(HandshakeFraming.HeaderLength);
        if (!IsHandshakeComplete)
        {
            if (_settings.Observer is not null && type == HandshakeType.ClientHello)
            {
                _clientRandom = HandshakeFields.ClientRandom(message);
            }

            if (_settings.Observer is not { } observer)
            {
                _state = _state.Handle(_context, type, body, message);
                FlushQueued();
                ReleaseHandshakeBuffersIfDone();
                return;
            }

            // Hold back what Handle raises (our answers, new secrets) so the observer sees the received message first.
            var held = _heldBack = [];
            try
            {
                _state = _state.Handle(_context, type, body, message);
                observer.OnHandshakeMessage(false, HandshakeFields.TypeName(message[0]), message);
                foreach (var (raise, _) in held)
                {
                    raise(observer);
                }

                if (IsHandshakeComplete)
                {
                    observer.OnSecret("EXPORTER_SECRET", _clientRandom, Result!.Exporter.Value);
                }
            }
            finally
            {
                _heldBack = null;
                foreach (var (_, secretCopy) in held)
                {
                    CryptographicOperations.ZeroMemory(secretCopy);
                }
            }

            FlushQueued();
            ReleaseHandshakeBuffersIfDone();
            return;
        }

        switch (type)
        {
            case HandshakeType.KeyUpdate:
                EmptyMessage.Read(body, "KeyUpdate");
                if (_handshakeLength != 0)
                {
                    throw new ProtocolException(Alert.UnexpectedMessage, "A handshake message straddles a key update.");
                }

                var next = _readSecret!.Next();
                _readSecret.Dispose();
                _readSecret = next;
                _read!.Dispose();
                _read = RecordProtection.Create(Result!.Suite, next, _settings.KeyUpdateAfterRecords);
                KeyUpdatesReceived++;
                break;
            case HandshakeType.NewSessionTicket when IsClient:
                var ticket = NewSessionTicket.Read(body);
                if (_settings.TicketCache is { } cache && Result!.Resumption is { } resumption && Result.Peer is { } server)
                {
                    var lifetime = TimeSpan.FromSeconds(Math.Min(ticket.LifetimeSeconds, 7 * 24 * 3600));
                    cache.Add(_settings.TicketKey, new ClientTicket(ticket.Ticket, resumption.TicketPsk(ticket.Nonce), Result.Suite, server, _settings.Now + lifetime));
                }

                break;
            default:
                throw new ProtocolException(Alert.UnexpectedMessage, $"Expected KeyUpdate or NewSessionTicket after the handshake, got {type}.");
        }
    }

    private void Observe(bool sent, byte[] message)
    {
        if (_settings.Observer is { } observer)
        {
            if (sent && _clientRandom.Length == 0)
            {
                _clientRandom = HandshakeFields.ClientRandom(message);
            }

            if (_heldBack is { } held)
            {
                held.Add((o => o.OnHandshakeMessage(sent, HandshakeFields.TypeName(message[0]), message), []));
            }
            else
            {
                observer.OnHandshakeMessage(sent, HandshakeFields.TypeName(message[0]), message);
            }
        }
    }

    /// <summary>Reports a traffic secret under its key-log name (<c>_0</c>: key updates are not reported).</summary>
    private void ObserveSecret(TrafficSecret secret, string side)
    {
        if (_settings.Observer is { } observer)
        {
            var label = secret is ApplicationTrafficSecret ? $"{side}_TRAFFIC_SECRET_0" : $"{side}_HANDSHAKE_TRAFFIC_SECRET";
            if (_heldBack is { } held)
            {
                var copy = secret.Value.ToArray();
                held.Add((o => o.OnSecret(label, _clientRandom, copy), copy));
            }
            else
            {
                observer.OnSecret(label, _clientRandom, secret.Value);
            }
        }
    }

    private static RecordKind ProcessAlert(ReadOnlySpan<byte> content)
    {
        if (content.Length != AlertLength)
        {
            throw new ProtocolException(Alert.DecodeError, "Malformed alert.");
        }

        var alert = (Alert)content[0];
        if (alert == Alert.CloseNotify)
        {
            return RecordKind.CloseNotify;
        }

        TrustFailureReason? reason = content[1] == NoTrustReason || !Enum.IsDefined((TrustFailureReason)content[1]) ? null : (TrustFailureReason)content[1];
        string why = reason is { } r ? $" ({r})" : string.Empty;
        throw new ProtocolException(alert, $"The peer ended the connection with alert {alert}{why}.", reason, fromPeer: true);
    }

    /// <summary>Packs queued handshake messages into records under the current write keys.</summary>
    private void FlushQueued()
    {
        if (_queued.Count == 0)
        {
            return;
        }

        int total = _queued.Sum(m => m.Length);
        var all = new byte[total];
        int at = 0;
        foreach (var m in _queued)
        {
            m.CopyTo(all, at);
            at += m.Length;
        }

        _queued.Clear();
        _output ??= new ArrayBufferWriter<byte>(SealedLength(Math.Min(total, ProtocolConstants.MaxPlaintext)) + 64);
        for (int i = 0; i < total; i += ProtocolConstants.MaxPlaintext)
        {
            var chunk = all.AsSpan(i, Math.Min(ProtocolConstants.MaxPlaintext, total - i));
            int n = SealInner(_output.GetSpan(SealedLength(chunk.Length)), ContentType.Handshake, chunk);
            _output.Advance(n);
        }
    }

    /// <summary>Bytes one record carrying <paramref name="contentLength"/> bytes takes under the current write keys.</summary>
    private int SealedLength(int contentLength) =>
        _write?.SealedLength(contentLength + 1) ?? ProtocolConstants.RecordHeaderLength + contentLength;

    /// <summary>
    /// An established connection keeps only its record keys: the output buffer, the reassembly buffer and the
    /// transcript are dropped (they are recreated, small, if a KeyUpdate or NewSessionTicket arrives).
    /// </summary>
    /// <summary>
    /// Called after output is written and after each received handshake message: a side whose last handshake step
    /// sends nothing (a server without tickets) never writes again, so <see cref="ClearOutput"/> alone would not do.
    /// </summary>
    private void ReleaseHandshakeBuffersIfDone()
    {
        if (IsHandshakeComplete && !HasOutput)
        {
            ReleaseHandshakeBuffers();
        }
    }

    private void ReleaseHandshakeBuffers()
    {
        if (_output is { WrittenCount: 0 })
        {
            _output = null;
        }

        if (_handshakeLength == 0 && _handshakeBuffer.Length != 0)
        {
            CryptographicOperations.ZeroMemory(_handshakeBuffer);
            _handshakeBuffer = [];
        }

        _context.ReleaseTranscript();
    }

    /// <summary>One record: plaintext (before write keys) or TLSInnerPlaintext sealed under the write keys.</summary>
    private int SealInner(Span<byte> destination, ContentType type, ReadOnlySpan<byte> content)
    {
        if (_write is null)
        {
            RecordHeader.Write(destination, type, _sessionId, content.Length);
            content.CopyTo(destination[ProtocolConstants.RecordHeaderLength..]);
            return ProtocolConstants.RecordHeaderLength + content.Length;
        }

        RecordHeader.Write(destination, ContentType.ApplicationData, _sessionId, 0);
        var inner = destination[(ProtocolConstants.RecordHeaderLength + _write.PlaintextOffset)..];
        content.CopyTo(inner);
        inner[content.Length] = (byte)type;
        return _write.Seal(destination, content.Length + 1);
    }
}
