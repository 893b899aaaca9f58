using System.Globalization;
using System.Security.Cryptography;
using SafeWire.Files.Storage;
using SafeWire.Framing;
using SafeWire.Identity;

namespace SafeWire.Files.Transfer;

/// <summary>What a client may do.</summary>
public enum FileAccessLevel
{
    /// <summary>No access: every request is refused with <see cref="FileErrorCode.AccessDenied"/>.</summary>
    None,
    /// <summary>List, stat and download only.</summary>
    Read,
    /// <summary>Everything: also upload, delete and create directories.</summary>
    ReadWrite,
}

/// <summary>Settings of a <see cref="FileServer"/>.</summary>
public sealed class FileServerOptions
{
    /// <summary>The directory served; no path can leave it.</summary>
    public required string Root { get; init; }

    /// <summary>Nobody may change anything, whatever <see cref="Authorize"/> says.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Decides per client identity (null over an unauthenticated stream). Over SecureStream the allow-list verifier
    /// has already refused unknown keys in the handshake; this adds per-identity rights. Default: read-write.
    /// </summary>
    public Func<PeerIdentity?, FileAccessLevel> Authorize { get; init; } = _ => FileAccessLevel.ReadWrite;

    /// <summary>A connection with no request for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Partial uploads (kept so an interrupted put can resume) last written longer ago than this are deleted.</summary>
    public TimeSpan PartialMaxAge { get; init; } = PartialFile.DefaultMaxAge;

    /// <summary>
    /// At most this many bytes in unfinished uploads together: the partial files kept for resuming plus the full size
    /// of every upload running now. An upload that would go beyond is refused. Null: no limit.
    /// </summary>
    public long? PartialQuota { get; init; }

    /// <summary>The clock that decides when partial uploads expire (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Receives one line per connection event and failed request, for the server's log (null: nothing is logged).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// Serves one connection of the SafeWire file protocol: requests one at a time, every path through the root jail,
/// uploads into partial files that are moved into place only after the end-to-end SHA-256 matched, downloads and
/// uploads resumed only after the existing part's SHA-256 matched.
/// </summary>
public sealed class FileServer
{
    private readonly FileServerOptions _options;
    private readonly RootJail _jail;
    private readonly PartialFileSweeper _partials;
    private readonly Lock _quotaLock = new();
    private readonly Dictionary<string, long> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// A server for the folder <see cref="FileServerOptions.Root"/>; expired partial uploads in it are deleted now and then
    /// in the background. One instance serves any number of connections, each through <see cref="ServeAsync"/>.
    /// </summary>
    public FileServer(FileServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _jail = new RootJail(options.Root);
        _partials = new PartialFileSweeper(_jail.Root, options.PartialMaxAge, options.TimeProvider, options.Log);
    }

    /// <summary>Removes the expired partial uploads now (the server also does so by itself); returns their paths.</summary>
    public IReadOnlyList<string> RemoveExpiredPartials() => _partials.SweepNow();

    /// <summary>Runs requests until the client closes the stream.</summary>
    public async Task ServeAsync(Stream stream, PeerIdentity? peer, CancellationToken cancellationToken)
    {
        var channel = new FileChannel(stream);
        var who = peer is null ? "anonymous stream" : $"{peer.Name} ({peer.Fingerprint})";
        var permission = _options.Authorize(peer);
        if (_options.ReadOnly && permission == FileAccessLevel.ReadWrite)
        {
            permission = FileAccessLevel.Read;
        }

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (true)
        {
            idle.CancelAfter(_options.IdleTimeout);
            var type = await channel.ReceiveAsync(idle.Token).ConfigureAwait(false);
            if (type is null)
            {
                return;
            }

            idle.CancelAfter(Timeout.InfiniteTimeSpan);
            if (permission == FileAccessLevel.None)
            {
                _options.Log?.Invoke($"{who}: refused, not authorized");
                await channel.SendErrorAsync(FileErrorCode.AccessDenied, "This client is not authorized on this server.", cancellationToken).ConfigureAwait(false);
                return;
            }

            try
            {
                await HandleAsync(channel, type.Value, permission, who, cancellationToken).ConfigureAwait(false);
            }
            catch (FileTransferException e) when (e.Code != FileErrorCode.BadRequest)
            {
                await channel.SendErrorAsync(e.Code, e.Message, cancellationToken).ConfigureAwait(false);
            }
            catch (PathRejectedException e)
            {
                _options.Log?.Invoke($"{who}: path refused ({e.Reason})");
                await channel.SendErrorAsync(FileErrorCode.PathRejected, e.Message, cancellationToken).ConfigureAwait(false);
            }
            catch (UnauthorizedAccessException)
            {
                await channel.SendErrorAsync(FileErrorCode.AccessDenied, "Permission denied by the file system.", cancellationToken).ConfigureAwait(false);
            }

            await channel.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(FileChannel channel, FileMessageType type, FileAccessLevel permission, string who, CancellationToken cancellationToken)
    {
        var reader = FileWireErrors.Reader(channel.Received);
        switch (type)
        {
            case FileMessageType.List or FileMessageType.Stat:
            {
                var path = reader.String16();
                reader.End();
                await ListAsync(channel, _jail.Resolve(path), single: type == FileMessageType.Stat, cancellationToken).ConfigureAwait(false);
                break;
            }

            case FileMessageType.Get:
            {
                var path = reader.String16();
                var offset = reader.I64();
                var prefixHash = reader.Fixed(SHA256.HashSizeInBytes).ToArray();
                reader.End();
                await GetAsync(channel, _jail.Resolve(path), offset, prefixHash, who, cancellationToken).ConfigureAwait(false);
                break;
            }

            case FileMessageType.Put:
            {
                var path = reader.String16();
                var size = reader.I64();
                reader.End();
                RequireWrite(permission);
                await PutAsync(channel, _jail.Resolve(path), size, who, cancellationToken).ConfigureAwait(false);
                break;
            }

            case FileMessageType.Delete:
            {
                var target = _jail.Resolve(reader.String16());
                reader.End();
                RequireWrite(permission);
                Delete(target);
                _options.Log?.Invoke($"{who}: deleted {target.VirtualPath}");
                await channel.SendAsync(FileMessageType.Ok, 0, cancellationToken).ConfigureAwait(false);
                break;
            }

            case FileMessageType.MakeDirectory:
            {
                var target = _jail.Resolve(reader.String16());
                reader.End();
                RequireWrite(permission);
                if (File.Exists(target.PhysicalPath))
                {
                    throw new FileTransferException(FileErrorCode.AlreadyExists, $"{target.VirtualPath} is a file.");
                }

                if (!Directory.Exists(Path.GetDirectoryName(target.PhysicalPath)))
                {
                    throw new FileTransferException(FileErrorCode.NotFound, "The parent directory does not exist.");
                }

                Directory.CreateDirectory(target.PhysicalPath);
                await channel.SendAsync(FileMessageType.Ok, 0, cancellationToken).ConfigureAwait(false);
                break;
            }

            default:
                throw new FileTransferException(FileErrorCode.BadRequest, $"Unexpected {type} frame.");
        }
    }

    private static void RequireWrite(FileAccessLevel permission)
    {
        if (permission != FileAccessLevel.ReadWrite)
        {
            throw new FileTransferException(FileErrorCode.ReadOnly, "This server is read-only for this client.");
        }
    }

    private static void Delete(JailPath target)
    {
        if (target.IsRoot)
        {
            throw new FileTransferException(FileErrorCode.AccessDenied, "The root cannot be removed.");
        }

        if (File.Exists(target.PhysicalPath))
        {
            File.Delete(target.PhysicalPath);
        }
        else if (Directory.Exists(target.PhysicalPath))
        {
            if (Directory.EnumerateFileSystemEntries(target.PhysicalPath).Any())
            {
                throw new FileTransferException(FileErrorCode.NotEmpty, $"{target.VirtualPath} is not empty.");
            }

            Directory.Delete(target.PhysicalPath);
        }
        else
        {
            throw new FileTransferException(FileErrorCode.NotFound, $"{target.VirtualPath} does not exist.");
        }
    }

    /// <summary>Entries frames: u8 more, u32 count, then per entry: name, u8 is-directory, i64 size, i64 mtime (Unix seconds).</summary>
    private async Task ListAsync(FileChannel channel, JailPath target, bool single, CancellationToken cancellationToken)
    {
        List<FileSystemInfo> entries;
        if (Directory.Exists(target.PhysicalPath) && !single)
        {
            entries = _jail.ListDirectory(target.PhysicalPath);
        }
        else if (Path.Exists(target.PhysicalPath))
        {
            entries = [Directory.Exists(target.PhysicalPath) ? new DirectoryInfo(target.PhysicalPath) : new FileInfo(target.PhysicalPath)];
        }
        else
        {
            throw new FileTransferException(FileErrorCode.NotFound, $"{target.VirtualPath} does not exist.");
        }

        var index = 0;
        do
        {
            // Each frame holds as many entries as fit with room to spare (a name is at most 255 bytes + 21 bytes of fields).
            var count = 0;
            var writer = new FieldSpanWriter(channel.Payload);
            writer.U8(0);
            writer.U32(0);
            while (index < entries.Count && writer.Length < FileChannel.MaxFrame - 4096)
            {
                var entry = entries[index++];
                writer.String16(single && target.IsRoot ? "/" : entry.Name);
                writer.U8(entry is DirectoryInfo ? (byte)1 : (byte)0);
                writer.I64(entry is FileInfo file ? file.Length : 0);
                writer.I64(new DateTimeOffset(entry.LastWriteTimeUtc).ToUnixTimeSeconds());
                count++;
            }

            var more = index < entries.Count;
            channel.Payload[0] = more ? (byte)1 : (byte)0;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(channel.Payload[1..], (uint)count);
            await channel.SendAsync(FileMessageType.Entries, writer.Length, cancellationToken).ConfigureAwait(false);
        }
        while (index < entries.Count);
    }

    /// <summary>
    /// GetStart (i64 size, i64 start) then Data frames then End (SHA-256 of the whole file). The transfer starts at
    /// the client's offset only if the SHA-256 of the server's first offset bytes equals the client's prefix hash.
    /// </summary>
    private async Task GetAsync(FileChannel channel, JailPath target, long offset, byte[] prefixHash, string who, CancellationToken cancellationToken)
    {
        if (!File.Exists(target.PhysicalPath))
        {
            throw new FileTransferException(FileErrorCode.NotFound, $"{target.VirtualPath} is not a file.");
        }

        var file = new FileStream(target.PhysicalPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            var size = file.Length;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long start = 0;
            if (offset > 0 && offset <= size)
            {
                await HashPrefixAsync(file, offset, hash, channel.PayloadMemory, cancellationToken).ConfigureAwait(false);
                if (CryptographicOperations.FixedTimeEquals(hash.GetCurrentHash(), prefixHash))
                {
                    start = offset;
                }
                else
                {
                    hash.GetHashAndReset();
                    file.Position = 0;
                    _options.Log?.Invoke($"{who}: {target.VirtualPath}: the client's partial copy does not match; sending it whole");
                }
            }

            var writer = new FieldSpanWriter(channel.Payload);
            writer.I64(size);
            writer.I64(start);
            await channel.SendAsync(FileMessageType.GetStart, writer.Length, cancellationToken).ConfigureAwait(false);
            // A file that shrinks while being read is sent short: the client's size and hash checks fail.
            var sent = start + await FileDataPump.SendAsync(channel, file, size - start, hash, null, cancellationToken).ConfigureAwait(false);

            hash.GetHashAndReset(channel.Payload);
            await channel.SendAsync(FileMessageType.End, SHA256.HashSizeInBytes, cancellationToken).ConfigureAwait(false);
            _options.Log?.Invoke(start > 0 && start == size
                ? $"{who}: {target.VirtualPath}: the client's copy is already complete (SHA-256 matches); nothing sent"
                : $"{who}: sent {target.VirtualPath} ({sent - start} bytes{(start > 0 ? $", resumed at {start}" : "")})");
        }
    }

    /// <summary>
    /// Opens the upload's part file exclusively. A client that resumes right after its connection broke can arrive
    /// before this server has noticed the break and closed the old handler's part file, so a held part is retried
    /// for a short, bounded time before the upload is refused as busy.
    /// </summary>
    private static async Task<FileStream> OpenPartAsync(string partPath, string virtualPath, CancellationToken cancellationToken)
    {
        const int Attempts = 30;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new FileStream(partPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
            }
            catch (IOException) when (attempt < Attempts)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                throw new FileTransferException(FileErrorCode.Busy, $"{virtualPath} is being uploaded by another connection.");
            }
        }
    }

    /// <summary>
    /// PutReady (i64 offset, SHA-256 of the partial upload's first offset bytes); the client answers PutFrom (i64),
    /// then Data frames and End (SHA-256 of the whole file). The part is moved over the target only if the size and
    /// hash match; a broken connection leaves the part for the next attempt to resume.
    /// </summary>
    private async Task PutAsync(FileChannel channel, JailPath target, long size, string who, CancellationToken cancellationToken)
    {
        if (size < 0)
        {
            throw new FileTransferException(FileErrorCode.BadRequest, "Negative size.");
        }

        if (target.IsRoot || Directory.Exists(target.PhysicalPath))
        {
            throw new FileTransferException(FileErrorCode.AlreadyExists, $"{target.VirtualPath} is a directory.");
        }

        if (!Directory.Exists(Path.GetDirectoryName(target.PhysicalPath)))
        {
            throw new FileTransferException(FileErrorCode.NotFound, "The target directory does not exist.");
        }

        _partials.SweepInBackgroundIfDue();
        var partPath = Path.GetFullPath(PartialFile.PathFor(target.PhysicalPath));
        using var reservation = ReservePartialSpace(partPath, size, target.VirtualPath);
        var part = await OpenPartAsync(partPath, target.VirtualPath, cancellationToken).ConfigureAwait(false);

        var complete = false;
        var untouched = false;
        await using (part.ConfigureAwait(false))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset;
            var offersFinal = part.Length == 0 && size > 0 && new FileInfo(target.PhysicalPath) is { Exists: true } final && final.Length == size;
            if (offersFinal)
            {
                // A rerun of a finished upload: offer the whole existing file (any client resumes at its end if its
                // SHA-256 matches, sending no data), so an identical file is confirmed and left untouched.
                var existing = new FileStream(target.PhysicalPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (existing.ConfigureAwait(false))
                {
                    offset = size;
                    await HashPrefixAsync(existing, offset, hash, channel.PayloadMemory, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                offset = SequentialFileWriter.AlignDown(Math.Min(part.Length, size));
                await HashPrefixAsync(part, offset, hash, channel.PayloadMemory, cancellationToken).ConfigureAwait(false);
            }

            var writer = new FieldSpanWriter(channel.Payload);
            writer.I64(offset);
            writer.Fixed(hash.GetCurrentHash());
            await channel.SendAsync(FileMessageType.PutReady, writer.Length, cancellationToken).ConfigureAwait(false);
            await channel.FlushAsync(cancellationToken).ConfigureAwait(false);

            await channel.ExpectAsync(FileMessageType.PutFrom, cancellationToken).ConfigureAwait(false);
            var reader = FileWireErrors.Reader(channel.Received);
            var from = reader.I64();
            reader.End();
            if (from != 0 && from != offset)
            {
                throw new FileTransferException(FileErrorCode.BadRequest, $"PutFrom must be 0 or {offset}.");
            }

            if (from == 0)
            {
                hash.GetHashAndReset();
            }

            untouched = offersFinal && from == size;
            long received;
            try
            {
                if (!untouched)
                {
                    part.SetLength(from);
                }

                received = await FileDataPump.ReceiveAsync(channel, new SequentialFileWriter(part.SafeFileHandle, from), from, size, hash, "client", null, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (StorageFullException.IsDiskFull(e))
            {
                // The disk filled up: free what this upload took (it cannot finish here anyway), read the rest of
                // the client's frames so it hears the reason instead of a broken connection, and say so.
                part.SetLength(0);
                _options.Log?.Invoke($"{who}: {target.VirtualPath}: the disk is full; upload discarded");
                if (e is not StorageFullException)
                {
                    await DrainUploadAsync(channel, size, cancellationToken).ConfigureAwait(false);
                }

                throw new FileTransferException(FileErrorCode.IoError, $"{target.VirtualPath}: the server's disk is full; nothing was stored. Free space on the server and send it again.");
            }

            var end = FileWireErrors.Reader(channel.Received);
            var expected = end.Fixed(SHA256.HashSizeInBytes).ToArray();
            end.End();
            if (received != size || !CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), expected))
            {
                part.SetLength(0);
                _options.Log?.Invoke($"{who}: {target.VirtualPath}: upload failed its SHA-256 check; discarded");
                throw new FileTransferException(FileErrorCode.HashMismatch, $"{target.VirtualPath}: the upload does not match its SHA-256; the partial copy was discarded, send it again.");
            }

            await part.FlushAsync(cancellationToken).ConfigureAwait(false);
            complete = true;
            _options.Log?.Invoke(untouched
                ? $"{who}: {target.VirtualPath} is already complete (SHA-256 matches); left untouched"
                : $"{who}: received {target.VirtualPath} ({received - from} bytes{(from > 0 ? $", resumed at {from}" : "")})");
        }

        if (untouched)
        {
            PartialFile.Discard(target.PhysicalPath); // the empty part opened for this upload
            await channel.SendAsync(FileMessageType.Ok, 0, cancellationToken).ConfigureAwait(false);
        }
        else if (complete)
        {
            PartialFile.Commit(target.PhysicalPath);
            await channel.SendAsync(FileMessageType.Ok, 0, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Under <see cref="FileServerOptions.PartialQuota"/>: counts the partial files on disk (except this upload's own,
    /// which it replaces, and those of running uploads) plus the sizes of the running uploads, and reserves
    /// <paramref name="size"/> for this one until the returned handle is disposed; refuses it (Busy) when it does not
    /// fit. Null without a quota.
    /// </summary>
    private Reservation? ReservePartialSpace(string partPath, long size, string virtualPath)
    {
        if (_options.PartialQuota is not { } quota)
        {
            return null;
        }

        lock (_quotaLock)
        {
            if (_running.ContainsKey(partPath))
            {
                throw new FileTransferException(FileErrorCode.Busy, $"{virtualPath} is being uploaded by another connection.");
            }

            long used = 0;
            foreach (var (path, length) in PartialFile.Under(_jail.Root))
            {
                if (!string.Equals(path, partPath, StringComparison.Ordinal) && !_running.ContainsKey(path))
                {
                    used += length;
                }
            }

            foreach (var reserved in _running.Values)
            {
                used += reserved;
            }

            if (size > quota - used)
            {
                _options.Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"refused {virtualPath} ({size} bytes): unfinished uploads hold {used} of {quota} bytes"));
                throw new FileTransferException(FileErrorCode.Busy, string.Create(CultureInfo.InvariantCulture, $"{virtualPath}: the server's space for unfinished uploads is full ({Mebibytes(used)} of {Mebibytes(quota)} MiB in use); send it again once other uploads have finished or expired."));
            }

            _running.Add(partPath, size);
            return new Reservation(this, partPath);
        }
    }

    private static string Mebibytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>Releases an upload's reserved space in the partial quota.</summary>
    private sealed class Reservation(FileServer server, string partPath) : IDisposable
    {
        public void Dispose()
        {
            lock (server._quotaLock)
            {
                server._running.Remove(partPath);
            }
        }
    }

    /// <summary>Reads and discards the client's remaining Data frames up to End (at most the announced size in all).</summary>
    private static async Task DrainUploadAsync(FileChannel channel, long size, CancellationToken cancellationToken)
    {
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(FileChannel.MaxFrame);
        try
        {
            long total = 0;
            while (true)
            {
                var (type, length) = await channel.ReceiveDataAsync(scratch, cancellationToken).ConfigureAwait(false);
                if (type is null or FileMessageType.End)
                {
                    return;
                }

                total += length;
                if (type != FileMessageType.Data || total > size)
                {
                    throw new FileTransferException(FileErrorCode.BadRequest, "Expected Data or End.");
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Hashes the first <paramref name="length"/> bytes of <paramref name="file"/> into <paramref name="hash"/>, leaving the position there.</summary>
    internal static async Task HashPrefixAsync(FileStream file, long length, IncrementalHash hash, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        file.Position = 0;
        var remaining = length;
        while (remaining > 0)
        {
            var read = await file.ReadAsync(buffer[..(int)Math.Min(buffer.Length, remaining)], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The file shrank while being hashed.");
            }

            hash.AppendData(buffer.Span[..read]);
            remaining -= read;
        }
    }
}
