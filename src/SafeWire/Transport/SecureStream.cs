using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Records;

namespace SafeWire.Transport;

/// <summary>
/// A SafeWire secure channel over any stream, used like SslStream: authenticate once as client or server,
/// then Read/Write (sync or async), <see cref="ShutdownAsync"/> to send close_notify, Dispose.
/// One concurrent reader and one concurrent writer are allowed. The first failure sticks: every later call
/// rethrows the same <see cref="SecureChannelException"/>.
/// </summary>
public sealed class SecureStream : Stream
{
    // Receive buffer invariants (one pooled array, rented at authentication, returned on Dispose):
    //   0 <= _plainStart <= _plainEnd <= _recordStart <= _receiveEnd <= _receive.Length
    //   [_plainStart, _plainEnd)   decrypted application data not yet handed to the caller (decrypted in place)
    //   [_recordStart, _receiveEnd) bytes read from the inner stream, not yet processed as records
    // The buffer holds at least one maximal record, so a record never needs more than compaction.
    private const int ReceiveBufferSize = 2 * ProtocolConstants.MaxRecordLength;

    // The send buffer holds a few sealed records so a 64 KiB write is one inner write.
    private const int SendBufferSize = 4 * ProtocolConstants.MaxRecordLength + ProtocolConnection.MaxSealedOutput;

    private readonly Stream _inner;
    private readonly bool _leaveInnerStreamOpen;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private ProtocolConnection? _connection;
    private byte[]? _receive;
    private byte[]? _send;
    private int _plainStart;
    private int _plainEnd;
    private int _recordStart;
    private int _receiveEnd;
    private bool _readClosed;
    private bool _writeClosed;
    private bool _disposed;
    private ExceptionDispatchInfo? _failure;

    public SecureStream(Stream inner, bool leaveInnerStreamOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveInnerStreamOpen = leaveInnerStreamOpen;
    }

    /// <summary>True once the handshake has completed.</summary>
    public bool IsAuthenticated => _connection?.IsHandshakeComplete == true && _failure is null;

    /// <summary>The negotiated suite (after authentication).</summary>
    public CipherSuite? CipherSuite => _connection?.Result?.Suite;

    /// <summary>The 16-byte session ID the server assigned; it is in every record header.</summary>
    public byte[]? SessionId => _connection?.Result?.SessionId.ToArray();

    /// <summary>The authenticated peer (null for a client the server did not ask for a credential).</summary>
    public PeerIdentity? RemoteIdentity => _connection?.Result?.Peer;

    /// <summary>The credential this side presented, if any.</summary>
    public LocalCredential? LocalCredential { get; private set; }

    /// <summary>True when the handshake resumed a session with a ticket (no certificates or signatures).</summary>
    public bool IsResumed => _connection?.Result?.Resumed == true;

    /// <summary>Key updates this side has sent / received (diagnostics; the ratchet runs automatically).</summary>
    internal int KeyUpdatesSent => _connection?.KeyUpdatesSent ?? 0;

    internal int KeyUpdatesReceived => _connection?.KeyUpdatesReceived ?? 0;

    public override bool CanRead => !_disposed;

    public override bool CanWrite => !_disposed;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Runs the client handshake. Throws <see cref="SecureChannelException"/> if it fails.</summary>
    public Task AuthenticateAsClientAsync(SecureClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.ServerVerifier is null)
        {
            throw new ArgumentException("SecureClientOptions.ServerVerifier is required: a server must always be verified.", nameof(options));
        }

        LocalCredential = options.ClientCredential;
        var settings = options.ToSettings(true, options.ClientCredential, options.ServerVerifier, options.ServerName, false, null, options.SessionCache);
        return HandshakeAsync(settings, options, cancellationToken);
    }

    /// <summary>Runs the server handshake. Throws <see cref="SecureChannelException"/> if it fails.</summary>
    public Task AuthenticateAsServerAsync(SecureServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.ServerCredential is null)
        {
            throw new ArgumentException("SecureServerOptions.ServerCredential is required.", nameof(options));
        }

        if (options.RequireClientCredential && options.ClientVerifier is null)
        {
            throw new ArgumentException("RequireClientCredential needs a ClientVerifier.", nameof(options));
        }

        LocalCredential = options.ServerCredential;
        var settings = options.ToSettings(false, options.ServerCredential, options.ClientVerifier, null, options.RequireClientCredential, options.SessionTickets, null);
        return HandshakeAsync(settings, options, cancellationToken);
    }

    /// <summary>
    /// RFC 8446 §7.5-style exporter: keying material bound to this session, e.g. for channel binding or to key
    /// a nested end-to-end session. Both ends get the same bytes for the same label and context.
    /// </summary>
    public void ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> destination)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        if (destination.Length is 0 or > 255 * 32)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), "Between 1 and 8160 bytes can be exported.");
        }

        ThrowIfNotAuthenticated();
        _connection!.Export(label, context, destination);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        // Sync fast path: data already decrypted in the receive buffer.
        if (_plainEnd > _plainStart && _failure is null)
        {
            return CopyPlaintext(buffer);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var task = ReadCoreAsync<SyncReadWriteAdapter>(rented.AsMemory(0, buffer.Length), CancellationToken.None);
            int n = task.IsCompleted ? task.Result : task.AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_plainEnd > _plainStart && _failure is null)
        {
            return new ValueTask<int>(CopyPlaintext(buffer.Span));
        }

        return ReadCoreAsync<AsyncReadWriteAdapter>(buffer, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            ThrowIfNotAuthenticated();
            return;
        }

        // The sync adapter never yields, so the memory only has to live for this call.
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, 1 << 20));
        try
        {
            while (!buffer.IsEmpty)
            {
                int n = Math.Min(buffer.Length, rented.Length);
                buffer[..n].CopyTo(rented);
                var task = WriteCoreAsync<SyncReadWriteAdapter>(rented.AsMemory(0, n), CancellationToken.None);
                if (!task.IsCompleted)
                {
                    task.AsTask().GetAwaiter().GetResult();
                }
                else
                {
                    task.GetAwaiter().GetResult();
                }

                buffer = buffer[n..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            ThrowIfNotAuthenticated();
            return default;
        }

        return WriteCoreAsync<AsyncReadWriteAdapter>(buffer, cancellationToken);
    }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <summary>Sends close_notify: the peer's reads end cleanly (return 0) instead of reporting truncation.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotAuthenticated();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_writeClosed)
            {
                return;
            }

            _writeClosed = true;
            var record = new byte[128];
            int n = _connection!.WriteAlert(Alert.CloseNotify, null, record);
            await _inner.WriteAsync(record.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw Fail(new SecureChannelException(Alert.Truncated, "The connection was lost while sending close_notify: " + e.Message, innerException: e));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            TrySendCloseNotify();
            if (!_leaveInnerStreamOpen)
            {
                _inner.Dispose();
            }

            _connection?.Dispose();
            if (_receive is not null)
            {
                Array.Clear(_receive);
                ArrayPool<byte>.Shared.Return(_receive);
                _receive = null;
            }

            if (_send is not null)
            {
                ArrayPool<byte>.Shared.Return(_send, clearArray: true);
                _send = null;
            }
        }

        base.Dispose(disposing);
    }

    private async Task HandshakeAsync(Protocol.Handshake.HandshakeSettings settings, SecureChannelOptions options, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is not null)
        {
            throw new InvalidOperationException("This SecureStream has already been authenticated (or has tried to be).");
        }

        using var timeout = options.HandshakeTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(options.HandshakeTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
        _receive = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        try
        {
            _connection = new ProtocolConnection(settings);
            await FlushHandshakeOutputAsync(token).ConfigureAwait(false);
            while (!_connection.IsHandshakeComplete)
            {
                var (start, length) = await ReadRecordAsync<AsyncReadWriteAdapter>(token).ConfigureAwait(false);
                var kind = _connection.ProcessRecord(_receive.AsSpan(start, length), out _, out _);
                if (kind == RecordKind.CloseNotify)
                {
                    throw new ProtocolException(Alert.HandshakeFailure, $"The peer closed the connection during the handshake (expected {_connection.Expecting}).", fromPeer: true);
                }

                await FlushHandshakeOutputAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var error = new SecureChannelException(Alert.HandshakeTimeout, $"The handshake did not finish within {options.HandshakeTimeout.TotalSeconds:0.###} s (waiting for {_connection?.Expecting ?? "the peer"}).", innerException: e);
            await TrySendAlertAsync(Alert.HandshakeTimeout, null).ConfigureAwait(false);
            throw Fail(error);
        }
        catch (OperationCanceledException e)
        {
            Fail(new SecureChannelException(Alert.HandshakeFailure, "The handshake was canceled.", innerException: e));
            throw;
        }
        catch (Exception e) when (e is not SecureChannelException)
        {
            throw await FailAsync(e).ConfigureAwait(false);
        }
    }

    private async ValueTask FlushHandshakeOutputAsync(CancellationToken cancellationToken)
    {
        if (_connection!.HasOutput)
        {
            await _inner.WriteAsync(_connection.Output, cancellationToken).ConfigureAwait(false);
            _connection.ClearOutput();
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadCoreAsync<TAdapter>(Memory<byte> buffer, CancellationToken cancellationToken)
        where TAdapter : IReadWriteAdapter
    {
        ThrowIfNotAuthenticated();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        try
        {
            while (true)
            {
                if (_plainEnd > _plainStart)
                {
                    return CopyPlaintext(buffer.Span);
                }

                if (_readClosed)
                {
                    return 0;
                }

                var (start, length) = await ReadRecordAsync<TAdapter>(cancellationToken).ConfigureAwait(false);
                var kind = _connection!.ProcessRecord(_receive.AsSpan(start, length), out int offset, out int plainLength);
                switch (kind)
                {
                    case RecordKind.ApplicationData:
                        _plainStart = start + offset;
                        _plainEnd = _plainStart + plainLength;
                        break;
                    case RecordKind.CloseNotify:
                        _readClosed = true;
                        break;
                }
            }
        }
        catch (Exception e) when (e is not SecureChannelException and not OperationCanceledException)
        {
            throw await FailAsync(e).ConfigureAwait(false);
        }
    }

    /// <summary>Makes sure one whole record is buffered and returns where it is; never allocates.</summary>
    private async ValueTask<(int Start, int Length)> ReadRecordAsync<TAdapter>(CancellationToken cancellationToken)
        where TAdapter : IReadWriteAdapter
    {
        var buffer = _receive!;
        if (_plainStart == _plainEnd)
        {
            _plainStart = _plainEnd = 0;
        }

        while (true)
        {
            int available = _receiveEnd - _recordStart;
            int needed = ProtocolConstants.RecordHeaderLength;
            if (RecordHeader.TryRead(buffer.AsSpan(_recordStart, available), out var header))
            {
                // The announced length was checked against the maximum before we wait for its bytes.
                needed += header.Length;
                if (available >= needed)
                {
                    int start = _recordStart;
                    _recordStart += needed;
                    return (start, needed);
                }
            }

            if (_recordStart + needed > buffer.Length)
            {
                // Compact: move the partial record to the front (no plaintext is pending at this point).
                buffer.AsSpan(_recordStart, available).CopyTo(buffer);
                _recordStart = 0;
                _receiveEnd = available;
            }

            int read = await TAdapter.ReadAsync(_inner, buffer.AsMemory(_receiveEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                string when = _connection!.IsHandshakeComplete ? string.Empty : $" during the handshake (expected {_connection.Expecting})";
                throw new ProtocolException(Alert.Truncated, $"The connection ended without close_notify{when}: the data may have been truncated.", fromPeer: true);
            }

            _receiveEnd += read;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteCoreAsync<TAdapter>(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        where TAdapter : IReadWriteAdapter
    {
        ThrowIfNotAuthenticated();
        await TAdapter.WaitAsync(_writeLock, cancellationToken).ConfigureAwait(false);
        try
        {
            _failure?.Throw();
            if (_writeClosed)
            {
                throw new InvalidOperationException("Write after ShutdownAsync.");
            }

            _send ??= ArrayPool<byte>.Shared.Rent(SendBufferSize);
            int filled = 0;
            while (!data.IsEmpty)
            {
                if (_send.Length - filled < ProtocolConnection.MaxSealedOutput)
                {
                    await TAdapter.WriteAsync(_inner, _send.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                    filled = 0;
                }

                int chunk = Math.Min(data.Length, ProtocolConstants.MaxPlaintext);
                filled += _connection!.SealApplicationData(data.Span[..chunk], _send.AsSpan(filled));
                data = data[chunk..];
            }

            await TAdapter.WriteAsync(_inner, _send.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e is not SecureChannelException)
        {
            throw Fail(new SecureChannelException(Alert.Truncated, "The connection was lost while writing: " + e.Message, innerException: e));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private int CopyPlaintext(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _plainEnd - _plainStart);
        _receive.AsSpan(_plainStart, n).CopyTo(destination);
        _plainStart += n;
        return n;
    }

    private void ThrowIfNotAuthenticated()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _failure?.Throw();
        if (_connection is null || !_connection.IsHandshakeComplete)
        {
            throw new InvalidOperationException("Call AuthenticateAsClientAsync or AuthenticateAsServerAsync first.");
        }
    }

    /// <summary>Turns any failure into the sticky SecureChannelException, sending our alert first when we detected it.</summary>
    private async ValueTask<SecureChannelException> FailAsync(Exception e)
    {
        var error = Translate(e);
        if (!error.SentByPeer && error.Alert != Alert.Truncated)
        {
            await TrySendAlertAsync(error.Alert, error.TrustFailure).ConfigureAwait(false);
        }

        return Fail(error);
    }

    private SecureChannelException Fail(SecureChannelException error)
    {
        _failure ??= ExceptionDispatchInfo.Capture(error);
        _plainStart = _plainEnd = 0;
        return (SecureChannelException)_failure.SourceException;
    }

    private static SecureChannelException Translate(Exception e) => e switch
    {
        SecureChannelException s => s,
        ProtocolException p => new SecureChannelException(p.Alert, p.Message, p.TrustFailure, p.FromPeer, p),
        IOException io => new SecureChannelException(Alert.Truncated, "The connection was lost: " + io.Message, sentByPeer: true, innerException: io),
        ObjectDisposedException od => new SecureChannelException(Alert.Truncated, "The underlying stream was closed.", sentByPeer: true, innerException: od),
        _ => new SecureChannelException(Alert.InternalError, "Internal error in the secure channel: " + e.Message, innerException: e),
    };

    private async ValueTask TrySendAlertAsync(Alert alert, TrustFailureReason? reason)
    {
        if (_connection is null || _writeClosed)
        {
            return;
        }

        if (!await _writeLock.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            _writeClosed = true;
            var record = new byte[128];
            int n = _connection.WriteAlert(alert, reason, record);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _inner.WriteAsync(record.AsMemory(0, n), cts.Token).ConfigureAwait(false);
            await _inner.FlushAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or NotSupportedException or ProtocolException or InvalidOperationException)
        {
            // Best effort: the peer may already be gone.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void TrySendCloseNotify()
    {
        if (_connection is not { IsHandshakeComplete: true } || _failure is not null || _writeClosed)
        {
            return;
        }

        if (!_writeLock.Wait(0))
        {
            return;
        }

        try
        {
            _writeClosed = true;
            Span<byte> record = stackalloc byte[128];
            int n = _connection.WriteAlert(Alert.CloseNotify, null, record);
            _inner.Write(record[..n]);
            _inner.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
            // Best effort on Dispose: call ShutdownAsync to know it was sent.
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
