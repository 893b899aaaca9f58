using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
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
/// <example>
/// A client that trusts servers with a certificate from the home CA and echoes one message:
/// <code>
/// var home = SafeWireHome.Resolve(null);
/// using var tcp = new TcpClient();
/// await tcp.ConnectAsync("localhost", 7000);
/// await using var stream = new SecureStream(tcp.GetStream());
/// await stream.AuthenticateAsClientAsync(new SecureClientOptions
/// {
///     ServerVerifier = home.CreateCaVerifier(),
///     ServerName = "localhost",
/// });
/// await stream.WriteAsync("hello"u8.ToArray());
/// var echo = new byte[5];
/// await stream.ReadExactlyAsync(echo);
/// await stream.ShutdownAsync();
/// </code>
/// The server side of one accepted socket (a <see cref="SecureListener"/> does this, with admission limits, for you):
/// <code>
/// using var credential = home.LoadOrCreateServerCredential("echo", ["localhost"], [IPAddress.Loopback]);
/// await using var stream = new SecureStream(new NetworkStream(socket, ownsSocket: true));
/// await stream.AuthenticateAsServerAsync(new SecureServerOptions { ServerCredential = credential });
/// await stream.CopyToAsync(stream);
/// </code>
/// </example>
public sealed class SecureStream : Stream
{
    // Receive buffer invariants (one pooled array, rented only while it holds bytes):
    //   _receive is null  <=>  nothing is buffered, and then all four indexes are 0
    //   0 <= _plainStart <= _plainEnd <= _recordStart <= _receiveEnd <= _receive.Length
    //   [_plainStart, _plainEnd)   decrypted application data not yet handed to the caller (decrypted in place)
    //   [_recordStart, _receiveEnd) bytes read from the inner stream, not yet processed as records
    // The buffer holds at least one maximal record, so a record never needs more than compaction. It goes back to
    // the pool (cleared) as soon as it is empty, and an async read on an established connection waits for the
    // peer with a zero-byte read before renting it again: an idle connection holds no buffer.
    private const int ReceiveBufferSize = 2 * ProtocolConstants.MaxRecordLength;

    // Once a read has filled most of the buffer (bulk traffic: the socket had more), this connection rents a buffer
    // of the pool's 256 KiB size instead: a 1 GiB file transfer made 19k receive calls (and as many FIONREADs) with
    // the small one, 4k with this, while chat-sized traffic keeps the small buffer.
    private const int BulkReceiveBufferSize = 256 * 1024;

    // Send buffers are rented per write, sized for the write up to this many records (plus the worst-case last one),
    // so a 256 KiB write is one inner write and the buffer still comes from the pool's 256 KiB size.
    private const int MaxRecordsPerSend = 13;

    // Who may touch the receive buffer: a read (or the handshake) in flight owns it; Dispose during a read leaves the
    // buffer to that read, which returns it to the pool when it ends (as SslStream does), never under its feet.
    private const int ReaderIdle = 0;
    private const int ReaderBusy = 1;
    private const int ReaderDisposed = 2;

    private readonly Stream _inner;
    private readonly IStreamReadiness? _readiness;
    private TimeProvider _time = TimeProvider.System;
    private int _readerState;
    private readonly bool _leaveInnerStreamOpen;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private ProtocolConnection? _connection;
    private byte[]? _receive;
    private int _plainStart;
    private int _plainEnd;
    private int _recordStart;
    private int _receiveEnd;
    private bool _bulkReceive;
    private bool _readClosed;
    private bool _writeClosed;
    private bool _flightSent; // some handshake output reached the transport: the peer may hold our keys
    private bool _disposed;
    private ExceptionDispatchInfo? _failure;

    /// <summary>
    /// Wraps a connected transport (usually a <see cref="NetworkStream"/>); call <see cref="AuthenticateAsClientAsync"/> or <see cref="AuthenticateAsServerAsync"/> before reading or writing.
    /// When <paramref name="leaveInnerStreamOpen"/> is false, disposing this stream disposes <paramref name="inner"/> too.
    /// </summary>
    public SecureStream(Stream inner, bool leaveInnerStreamOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveInnerStreamOpen = leaveInnerStreamOpen;
        _readiness = inner switch
        {
            IStreamReadiness readiness => readiness,
            NetworkStream network => new NetworkStreamReadiness(network),
            _ => null,
        };
    }

    /// <summary>The transport stream this channel runs over (e.g. the <see cref="NetworkStream"/>, for its socket's addresses).</summary>
    public Stream InnerStream => _inner;

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

    /// <summary>True while the pooled receive buffer is rented (tests check that idle connections hold none).</summary>
    internal bool HoldsReceiveBuffer => _receive is not null;

    /// <summary>Length of the receive buffer held now, 0 if none (tests check the move to the bulk size).</summary>
    internal int ReceiveBufferLength => _receive?.Length ?? 0;

    /// <summary>True until the stream is disposed (reading still needs a completed handshake).</summary>
    public override bool CanRead => !_disposed;

    /// <summary>True until the stream is disposed (writing still needs a completed handshake).</summary>
    public override bool CanWrite => !_disposed;

    /// <summary>Always false: a secure channel cannot seek.</summary>
    public override bool CanSeek => false;

    /// <summary>Not supported: throws <see cref="NotSupportedException"/>.</summary>
    public override long Length => throw new NotSupportedException();

    /// <summary>Not supported: throws <see cref="NotSupportedException"/>.</summary>
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

    /// <inheritdoc cref="Read(Span{byte})"/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>
    /// Reads decrypted data. As with SslStream, a zero-byte read waits until data is available (or the stream
    /// ended) and returns 0 without consuming anything.
    /// </summary>
    public override int Read(Span<byte> buffer)
    {
        EnterRead();
        try
        {
            // Fast path: data already decrypted in the receive buffer.
            if (_plainEnd > _plainStart && _failure is null)
            {
                return CopyPlaintext(buffer);
            }

            // The sync adapter never yields (its failure path included), so this completes synchronously.
            var fill = FillPlaintextAsync<SyncReadWriteAdapter>(CancellationToken.None);
            Debug.Assert(fill.IsCompleted, "The sync adapter completes synchronously.");
            if (!fill.GetAwaiter().GetResult())
            {
                return 0;
            }

            try
            {
                return CopyPlaintextAndDrain(buffer);
            }
            catch (Exception e) when (e is not SecureChannelException and not OperationCanceledException)
            {
                throw FailSync(e);
            }
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>Reads one decrypted byte, or returns -1 once the peer has closed with <see cref="ShutdownAsync"/>.</summary>
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    /// <inheritdoc cref="Read(Span{byte})"/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc cref="Read(Span{byte})"/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnterRead();
        if (_plainEnd > _plainStart && _failure is null)
        {
            try
            {
                return new ValueTask<int>(CopyPlaintext(buffer.Span));
            }
            finally
            {
                ExitRead();
            }
        }

        return ReadSlowAsync(buffer, cancellationToken);
    }

    /// <inheritdoc cref="Write(ReadOnlySpan{byte})"/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>Encrypts and sends <paramref name="buffer"/> (split into records as needed); every record has been written to the transport when the call returns.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfNotAuthenticated();
        if (buffer.IsEmpty)
        {
            return;
        }

        // Sealed straight from the caller's span into a pooled send buffer: no staging copy.
        _writeLock.Wait();
        byte[]? send = null;
        try
        {
            ThrowIfNotWritable();
            send = ArrayPool<byte>.Shared.Rent(SendBufferLength(buffer.Length));
            while (!buffer.IsEmpty)
            {
                int filled = SealBatch(buffer, send, out int consumed);
                buffer = buffer[consumed..];
                _inner.Write(send, 0, filled);
            }
        }
        catch (IOException e) when (e is not SecureChannelException)
        {
            throw Fail(new SecureChannelException(Alert.Truncated, "The connection was lost while writing: " + e.Message, innerException: e));
        }
        finally
        {
            if (send is not null)
            {
                ArrayPool<byte>.Shared.Return(send);
            }

            _writeLock.Release();
        }
    }

    /// <inheritdoc cref="Write(ReadOnlySpan{byte})"/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc cref="Write(ReadOnlySpan{byte})"/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            ThrowIfNotAuthenticated();
            return default;
        }

        return WriteCoreAsync(buffer, cancellationToken);
    }

    /// <summary>Flushes the transport; records are already sent by each write.</summary>
    public override void Flush() => _inner.Flush();

    /// <summary>Flushes the transport; records are already sent by each write.</summary>
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

    /// <summary>Not supported: throws <see cref="NotSupportedException"/>.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <summary>Not supported: throws <see cref="NotSupportedException"/>.</summary>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Closes the channel: sends close_notify if no write is in progress (await <see cref="ShutdownAsync"/> first for a close the
    /// peer is sure to see), releases the keys and buffers, and disposes the transport unless it was to be left open.
    /// </summary>
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
            if (Interlocked.Exchange(ref _readerState, ReaderDisposed) == ReaderIdle)
            {
                ReturnReceiveBuffer();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Sends <paramref name="alert"/> (encrypted once keys exist) and marks the stream failed; the caller disposes it.</summary>
    internal async ValueTask AbortWithAlertAsync(Alert alert)
    {
        await TrySendAlertAsync(alert, null, beforeHandshake: true).ConfigureAwait(false);
        Fail(new SecureChannelException(alert, $"The connection was ended with {alert}."));
    }

    /// <summary>True while a read (or the handshake) owns the receive buffer (tests check Dispose leaves it alone).</summary>
    internal bool ReadInFlight => Volatile.Read(ref _readerState) == ReaderBusy;

    /// <summary>Takes the receive side for one read; one reader at a time, none after Dispose.</summary>
    private void EnterRead()
    {
        switch (Interlocked.CompareExchange(ref _readerState, ReaderBusy, ReaderIdle))
        {
            case ReaderIdle:
                return;
            case ReaderBusy:
                throw new NotSupportedException("Another read is already in progress: a SecureStream allows one reader at a time.");
            default:
                throw new ObjectDisposedException(nameof(SecureStream));
        }
    }

    /// <summary>Gives the receive side back; when the stream was disposed meanwhile, the read returns the buffer now.</summary>
    private void ExitRead()
    {
        if (Interlocked.CompareExchange(ref _readerState, ReaderIdle, ReaderBusy) == ReaderDisposed)
        {
            ReturnReceiveBuffer();
        }
    }

    private void ReturnReceiveBuffer()
    {
        var buffer = _receive;
        _receive = null;
        _plainStart = _plainEnd = _recordStart = _receiveEnd = 0;
        if (buffer is not null)
        {
            Array.Clear(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandshakeAsync(Protocol.Handshake.HandshakeSettings settings, SecureChannelOptions options, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is not null)
        {
            throw new InvalidOperationException("This SecureStream has already been authenticated (or has tried to be).");
        }

        _time = options.TimeProvider;
        EnterRead();
        using var timeout = options.HandshakeTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(options.HandshakeTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
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

            ReleaseReceiveBufferIfEmpty();
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
        finally
        {
            ExitRead();
        }
    }

    private async ValueTask FlushHandshakeOutputAsync(CancellationToken cancellationToken)
    {
        if (_connection!.HasOutput)
        {
            await _inner.WriteAsync(_connection.Output, cancellationToken).ConfigureAwait(false);
            _flightSent = true;
            _connection.ClearOutput();
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            bool available = await FillPlaintextAsync<AsyncReadWriteAdapter>(cancellationToken).ConfigureAwait(false);
            if (!available)
            {
                return 0;
            }

            try
            {
                return CopyPlaintextAndDrain(buffer.Span);
            }
            catch (Exception e) when (e is not SecureChannelException and not OperationCanceledException)
            {
                throw await FailAsync(e).ConfigureAwait(false);
            }
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>
    /// Copies the pending plaintext, then keeps opening records into the rest of <paramref name="destination"/> as
    /// long as a complete one is already buffered or the transport can supply it without blocking (its readiness says so):
    /// a bulk read returns up to the caller's whole buffer, not one record, yet never waits once it has data.
    /// Each record is authenticated (opened in place) before any of its bytes are copied out.
    /// </summary>
    private int CopyPlaintextAndDrain(Span<byte> destination)
    {
        int copied = CopyPlaintext(destination);
        while (copied < destination.Length && !_readClosed && TryTakeBufferedRecord(out int start, out int length))
        {
            var kind = _connection!.ProcessRecord(_receive.AsSpan(start, length), out int offset, out int plainLength);
            switch (kind)
            {
                case RecordKind.ApplicationData:
                    _plainStart = start + offset;
                    _plainEnd = _plainStart + plainLength;
                    copied += CopyPlaintext(destination[copied..]);
                    break;
                case RecordKind.CloseNotify:
                    _readClosed = true;
                    ReleaseReceiveBufferIfEmpty();
                    break;
                default:
                    ReleaseReceiveBufferIfEmpty();
                    break;
            }
        }

        return copied;
    }

    /// <summary>
    /// Without blocking: finds the next complete record in the receive buffer, reading from a NetworkStream only
    /// what it already has. Called only when no plaintext is pending.
    /// </summary>
    private bool TryTakeBufferedRecord(out int start, out int length)
    {
        if (_receive is null)
        {
            if (_readiness is not { DataAvailable: true })
            {
                start = length = 0;
                return false;
            }

            _receive = RentReceiveBuffer();
        }

        _plainStart = _plainEnd = 0;
        while (true)
        {
            if (TrySliceRecord(out start, out length, out int needed))
            {
                return true;
            }

            if (_readiness is not { DataAvailable: true })
            {
                ReleaseReceiveBufferIfEmpty();
                return false;
            }

            CompactFor(needed);
            int read = _inner.Read(_receive.AsSpan(_receiveEnd));
            if (read == 0)
            {
                // End of stream: the next read reports it (truncation or not) the usual way.
                ReleaseReceiveBufferIfEmpty();
                return false;
            }

            AddReceived(read);
        }
    }

    /// <summary>Takes the next complete record off the receive buffer, or says how many bytes it needs.</summary>
    private bool TrySliceRecord(out int start, out int length, out int needed)
    {
        int available = _receiveEnd - _recordStart;
        needed = ProtocolConstants.RecordHeaderLength;
        if (RecordHeader.TryRead(_receive.AsSpan(_recordStart, available), out var header))
        {
            // The announced length was checked against the maximum before we wait for its bytes.
            needed += header.Length;
            if (available >= needed)
            {
                start = _recordStart;
                length = needed;
                _recordStart += needed;
                return true;
            }
        }

        start = length = 0;
        return false;
    }

    /// <summary>
    /// Makes room for <paramref name="needed"/> bytes from the current record on: moves the unprocessed bytes to the
    /// front (into a bulk-sized buffer once the connection has shown bulk traffic) and clears what they leave behind
    /// (earlier records, decrypted in place). Only called while no plaintext is pending.
    /// </summary>
    private void CompactFor(int needed)
    {
        var buffer = _receive!;
        bool grow = _bulkReceive && buffer.Length < BulkReceiveBufferSize;
        if (_recordStart + needed <= buffer.Length && !grow)
        {
            return;
        }

        int available = _receiveEnd - _recordStart;
        var target = grow ? ArrayPool<byte>.Shared.Rent(BulkReceiveBufferSize) : buffer;
        buffer.AsSpan(_recordStart, available).CopyTo(target);
        if (grow)
        {
            buffer.AsSpan(0, _receiveEnd).Clear();
            ArrayPool<byte>.Shared.Return(buffer);
            _receive = target;
        }
        else
        {
            buffer.AsSpan(available, _receiveEnd - available).Clear();
        }

        _recordStart = 0;
        _receiveEnd = available;
    }

    /// <summary>Reads and opens records until decrypted data is buffered (true) or the peer has closed (false).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillPlaintextAsync<TAdapter>(CancellationToken cancellationToken)
        where TAdapter : IReadWriteAdapter
    {
        ThrowIfNotAuthenticated();
        try
        {
            while (true)
            {
                if (_plainEnd > _plainStart)
                {
                    return true;
                }

                if (_readClosed)
                {
                    return false;
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

                ReleaseReceiveBufferIfEmpty();
            }
        }
        catch (Exception e) when (e is not SecureChannelException and not OperationCanceledException)
        {
            throw TAdapter.IsSync ? FailSync(e) : await FailAsync(e).ConfigureAwait(false);
        }
    }

    /// <summary>Makes sure one whole record is buffered and returns where it is; never allocates.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(int Start, int Length)> ReadRecordAsync<TAdapter>(CancellationToken cancellationToken)
        where TAdapter : IReadWriteAdapter
    {
        if (_receive is null)
        {
            // Idle until the peer sends: wait without holding a buffer. A socket that already has data skips the
            // wait, which would only add a round through the event loop to every empty-buffer moment of a bulk read.
            if (_connection!.IsHandshakeComplete && _readiness is not { DataAvailable: true })
            {
                await TAdapter.WaitForDataAsync(_inner, _readiness, cancellationToken).ConfigureAwait(false);
            }

            _receive = RentReceiveBuffer();
        }

        if (_plainStart == _plainEnd)
        {
            _plainStart = _plainEnd = 0;
        }

        while (true)
        {
            if (TrySliceRecord(out int start, out int length, out int needed))
            {
                return (start, length);
            }

            CompactFor(needed); // may move to a bigger buffer: read into _receive as it is now
            int read = await TAdapter.ReadAsync(_inner, _receive.AsMemory(_receiveEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                string when = _connection!.IsHandshakeComplete ? string.Empty : $" during the handshake (expected {_connection.Expecting})";
                throw new ProtocolException(Alert.Truncated, $"The connection ended without close_notify{when}: the data may have been truncated.", fromPeer: true);
            }

            AddReceived(read);
        }
    }

    private byte[] RentReceiveBuffer() => ArrayPool<byte>.Shared.Rent(_bulkReceive ? BulkReceiveBufferSize : ReceiveBufferSize);

    /// <summary>Counts bytes just read into the receive buffer; a read that filled most of it marks bulk traffic.</summary>
    private void AddReceived(int read)
    {
        if (read >= ReceiveBufferSize / 2 && _receiveEnd + read == _receive!.Length)
        {
            _bulkReceive = true;
        }

        _receiveEnd += read;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ThrowIfNotAuthenticated();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[]? send = null;
        try
        {
            ThrowIfNotWritable();
            send = ArrayPool<byte>.Shared.Rent(SendBufferLength(data.Length));
            while (!data.IsEmpty)
            {
                int filled = SealBatch(data.Span, send, out int consumed);
                data = data[consumed..];
                await _inner.WriteAsync(send.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException e) when (e is not SecureChannelException)
        {
            throw Fail(new SecureChannelException(Alert.Truncated, "The connection was lost while writing: " + e.Message, innerException: e));
        }
        finally
        {
            if (send is not null)
            {
                ArrayPool<byte>.Shared.Return(send);
            }

            _writeLock.Release();
        }
    }

    /// <summary>
    /// A send buffer for the records of a write of <paramref name="dataLength"/> bytes, at most
    /// <see cref="MaxRecordsPerSend"/>, plus room for the worst-case last one (a KeyUpdate and a full record).
    /// </summary>
    private static int SendBufferLength(int dataLength) =>
        (Math.Min(MaxRecordsPerSend, (dataLength - 1) / ProtocolConstants.MaxPlaintext) * ProtocolConstants.MaxRecordLength)
        + ProtocolConnection.MaxSealedOutput;

    /// <summary>
    /// Seals records from the start of <paramref name="data"/> into <paramref name="send"/> while a worst-case
    /// record (a KeyUpdate and a full record) still fits; returns the bytes to send.
    /// </summary>
    private int SealBatch(ReadOnlySpan<byte> data, Span<byte> send, out int consumed)
    {
        int filled = 0;
        consumed = 0;
        do
        {
            int chunk = Math.Min(data.Length - consumed, ProtocolConstants.MaxPlaintext);
            filled += _connection!.SealApplicationData(data.Slice(consumed, chunk), send[filled..]);
            consumed += chunk;
        }
        while (consumed < data.Length && send.Length - filled >= ProtocolConnection.MaxSealedOutput);

        return filled;
    }

    private void ThrowIfNotWritable()
    {
        _failure?.Throw();
        if (_writeClosed)
        {
            throw new InvalidOperationException("Write after ShutdownAsync.");
        }
    }

    private int CopyPlaintext(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _plainEnd - _plainStart);
        _receive.AsSpan(_plainStart, n).CopyTo(destination);
        _plainStart += n;
        ReleaseReceiveBufferIfEmpty();
        return n;
    }

    /// <summary>Returns the receive buffer to the pool once everything in it is consumed (cleared: it held plaintext).</summary>
    private void ReleaseReceiveBufferIfEmpty()
    {
        if (_receive is null || _plainStart != _plainEnd || _recordStart != _receiveEnd)
        {
            return;
        }

        var buffer = _receive;
        _receive = null;
        buffer.AsSpan(0, _receiveEnd).Clear();
        _plainStart = _plainEnd = _recordStart = _receiveEnd = 0;
        ArrayPool<byte>.Shared.Return(buffer);
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

    /// <summary>The synchronous <see cref="FailAsync"/> (sync reads never block on async work).</summary>
    private SecureChannelException FailSync(Exception e)
    {
        var error = Translate(e);
        if (!error.SentByPeer && error.Alert != Alert.Truncated)
        {
            TrySendAlertSync(error.Alert, error.TrustFailure);
        }

        return Fail(error);
    }

    /// <summary>Records the first failure; later calls rethrow it. Leaves the reader's buffer indexes alone (a writer may call this).</summary>
    private SecureChannelException Fail(SecureChannelException error)
    {
        Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(error), null);
        return (SecureChannelException)_failure!.SourceException;
    }

    private static SecureChannelException Translate(Exception e) => e switch
    {
        SecureChannelException s => s,
        ProtocolException { Alert: Alert.ServerBusy, FromPeer: true } p => new SecureChannelException(Alert.ServerBusy, "The server is busy (too many connections right now); try again in a few seconds.", null, true, p),
        ProtocolException p => new SecureChannelException(p.Alert, p.Message, p.TrustFailure, p.FromPeer, p),
        IOException io => new SecureChannelException(Alert.Truncated, "The connection was lost: " + io.Message, sentByPeer: true, innerException: io),
        ObjectDisposedException od => new SecureChannelException(Alert.Truncated, "The underlying stream was closed.", sentByPeer: true, innerException: od),
        _ => new SecureChannelException(Alert.InternalError, "Internal error in the secure channel: " + e.Message, innerException: e),
    };

    private async ValueTask TrySendAlertAsync(Alert alert, TrustFailureReason? reason, bool beforeHandshake = false)
    {
        if ((_connection is null && !beforeHandshake) || _writeClosed)
        {
            return;
        }

        // Both waits are bounded by the configured clock: a peer that stopped reading costs at most a second.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);
        try
        {
            await _writeLock.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            _writeClosed = true;
            var record = new byte[128];
            int n = WriteAlert(alert, reason, record);
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

    /// <summary>
    /// An alert record: sealed under our write keys once the peer can hold them; in plaintext (all-zero session ID)
    /// while none of our handshake output has gone out (a server ending a connection for load before its ServerHello).
    /// </summary>
    private int WriteAlert(Alert alert, TrustFailureReason? reason, Span<byte> destination)
    {
        if (_connection is null || (!_flightSent && !_connection.IsHandshakeComplete))
        {
            return PlaintextAlert.Write(alert, reason, destination);
        }

        return _connection.WriteAlert(alert, reason, destination);
    }

    /// <summary>Sends an alert without waiting for anything: skipped when a write is in progress.</summary>
    private void TrySendAlertSync(Alert alert, TrustFailureReason? reason)
    {
        if (_connection is null || _writeClosed || !_writeLock.Wait(0))
        {
            return;
        }

        try
        {
            _writeClosed = true;
            Span<byte> record = stackalloc byte[128];
            int n = WriteAlert(alert, reason, record);
            _inner.Write(record[..n]);
            _inner.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or ProtocolException or InvalidOperationException)
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
