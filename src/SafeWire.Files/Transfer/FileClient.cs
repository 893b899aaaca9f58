using SafeWire.Framing;
using System.Security.Cryptography;
using SafeWire.Files.Storage;

namespace SafeWire.Files.Transfer;

/// <summary>Progress of one file: bytes done (including a resumed prefix) of the total.</summary>
public readonly record struct TransferProgress(string Path, long Done, long Total);

/// <summary>How one file transfer ended: its size, where it resumed (0 if from scratch) and its verified SHA-256.</summary>
public sealed record TransferResult(string Path, long Size, long ResumedFrom, string Sha256)
{
    /// <summary>Nothing was sent: the receiving side already held the whole file and its SHA-256 matched.</summary>
    public bool AlreadyComplete { get; init; }
}

/// <summary>
/// The client side of the SafeWire file protocol over any stream (a SecureStream in production). Downloads go to
/// a partial file next to the target and are moved into place only after the end-to-end SHA-256 matched; an
/// existing partial file is resumed only if the server confirms its SHA-256.
/// </summary>
public sealed class FileClient : IAsyncDisposable
{
    private readonly FileChannel _channel;

    /// <summary>A client over an authenticated stream (usually a <see cref="Transport.SecureStream"/>); disposing the client disposes the stream.</summary>
    public FileClient(Stream stream)
    {
        _channel = new FileChannel(stream);
    }

    /// <summary>The entries of a remote directory (or the one entry of a file).</summary>
    public async Task<IReadOnlyList<RemoteEntry>> ListAsync(string path, CancellationToken cancellationToken = default) =>
        await RequestEntriesAsync(FileMessageType.List, path, cancellationToken).ConfigureAwait(false);

    /// <summary>The remote entry at <paramref name="path"/>, or null if it does not exist.</summary>
    public async Task<RemoteEntry?> StatAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var entries = await RequestEntriesAsync(FileMessageType.Stat, path, cancellationToken).ConfigureAwait(false);
            return entries.Count == 1 ? entries[0] : null;
        }
        catch (FileTransferException e) when (e.Code == FileErrorCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes the remote file or empty directory at <paramref name="path"/>; throws <see cref="FileTransferException"/> if the server refuses.</summary>
    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => SimpleAsync(FileMessageType.Delete, path, cancellationToken);

    /// <summary>Creates the remote directory <paramref name="path"/> (its parent must exist); throws <see cref="FileTransferException"/> if the server refuses.</summary>
    public Task MakeDirectoryAsync(string path, CancellationToken cancellationToken = default) => SimpleAsync(FileMessageType.MakeDirectory, path, cancellationToken);

    /// <summary>Downloads <paramref name="remote"/> to <paramref name="localFile"/>, resuming a verified partial download.</summary>
    public async Task<TransferResult> GetAsync(string remote, string localFile, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var partPath = PartialFile.PathFor(Path.GetFullPath(localFile));
        try
        {
            return await GetCoreAsync(remote, localFile, partPath, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException && new FileInfo(partPath) is { Exists: true, Length: 0 })
        {
            File.Delete(partPath); // nothing was received: leave no empty partial file behind
            throw;
        }
    }

    private async Task<TransferResult> GetCoreAsync(string remote, string localFile, string partPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var part = new FileStream(partPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
        FileStream? existing = null;
        long size;
        long start;
        string sha256;
        await using (part.ConfigureAwait(false))
        {
            try
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long offset;
                if (part.Length == 0 && new FileInfo(localFile) is { Exists: true, Length: > 0 })
                {
                    // A rerun: offer the whole local file. The server sends nothing but its SHA-256 if it holds
                    // exactly these bytes, the rest if the local file is its beginning, else the whole file.
                    existing = new FileStream(localFile, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    offset = existing.Length;
                    await FileServer.HashPrefixAsync(existing, offset, hash, _channel.PayloadMemory, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    offset = SequentialFileWriter.AlignDown(part.Length);
                    part.SetLength(offset);
                    await FileServer.HashPrefixAsync(part, offset, hash, _channel.PayloadMemory, cancellationToken).ConfigureAwait(false);
                }

                var writer = new FieldSpanWriter(_channel.Payload);
                FileWireErrors.WritePath(ref writer, remote);
                writer.I64(offset);
                writer.Fixed(hash.GetCurrentHash());
                await _channel.SendAsync(FileMessageType.Get, writer.Length, cancellationToken).ConfigureAwait(false);
                await _channel.FlushAsync(cancellationToken).ConfigureAwait(false);

                await _channel.ExpectAsync(FileMessageType.GetStart, cancellationToken).ConfigureAwait(false);
                var reader = FileWireErrors.Reader(_channel.Received);
                size = reader.I64();
                start = reader.I64();
                reader.End();
                if (start != 0 && start != offset)
                {
                    throw new FileTransferException(FileErrorCode.BadRequest, $"The server resumed at {start}, not at 0 or {offset}.");
                }

                if (start == 0)
                {
                    // No partial copy, or one the server did not confirm (tampered, or the remote file changed).
                    hash.GetHashAndReset();
                    part.SetLength(0);
                }
                else if (existing is not null && start < size)
                {
                    // The local file is the beginning of the remote one: continue it in the partial file. The hash
                    // restarts over the bytes actually copied, so a local file changed since it was offered fails
                    // the end-to-end check instead of slipping through.
                    hash.GetHashAndReset();
                    await CopyHashingAsync(existing, part, start, hash, _channel.PayloadMemory, cancellationToken).ConfigureAwait(false);
                }

                progress?.Report(new TransferProgress(remote, start, size));
                var received = await FileDataPump.ReceiveAsync(_channel, new SequentialFileWriter(part.SafeFileHandle, start), start, size, hash, "server", progress is null ? null : n => progress.Report(new TransferProgress(remote, n, size)), cancellationToken).ConfigureAwait(false);

                var end = FileWireErrors.Reader(_channel.Received);
                var expected = end.Fixed(SHA256.HashSizeInBytes).ToArray();
                end.End();
                var actual = hash.GetHashAndReset();
                if (received != size || !CryptographicOperations.FixedTimeEquals(actual, expected))
                {
                    part.SetLength(0);
                    throw new FileTransferException(FileErrorCode.HashMismatch, $"{remote}: the download does not match the server's SHA-256; the partial copy was discarded, get it again.");
                }

                await part.FlushAsync(cancellationToken).ConfigureAwait(false);
                sha256 = Convert.ToHexStringLower(actual);
            }
            finally
            {
                if (existing is not null)
                {
                    await existing.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        if (existing is not null && start == size)
        {
            // The local file already held every byte and its SHA-256 matched the server's: leave it untouched.
            File.Delete(partPath);
            return new TransferResult(remote, size, start, sha256) { AlreadyComplete = true };
        }

        File.Move(partPath, localFile, overwrite: true);
        return new TransferResult(remote, size, start, sha256);
    }

    /// <summary>Copies the first <paramref name="length"/> bytes of <paramref name="source"/> to the start of <paramref name="target"/>, hashing them.</summary>
    private static async Task CopyHashingAsync(FileStream source, FileStream target, long length, IncrementalHash hash, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        source.Position = 0;
        target.SetLength(0);
        target.Position = 0;
        var remaining = length;
        while (remaining > 0)
        {
            var read = await source.ReadAsync(buffer[..(int)Math.Min(buffer.Length, remaining)], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The local file shrank while being copied.");
            }

            hash.AppendData(buffer.Span[..read]);
            await target.WriteAsync(buffer[..read], cancellationToken).ConfigureAwait(false);
            remaining -= read;
        }

        await target.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads <paramref name="localFile"/> to <paramref name="remote"/>, resuming a partial upload the server holds if it matches.</summary>
    public async Task<TransferResult> PutAsync(string localFile, string remote, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var file = new FileStream(localFile, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            var size = file.Length;
            var writer = new FieldSpanWriter(_channel.Payload);
            FileWireErrors.WritePath(ref writer, remote);
            writer.I64(size);
            await _channel.SendAsync(FileMessageType.Put, writer.Length, cancellationToken).ConfigureAwait(false);
            await _channel.FlushAsync(cancellationToken).ConfigureAwait(false);

            await _channel.ExpectAsync(FileMessageType.PutReady, cancellationToken).ConfigureAwait(false);
            var reader = FileWireErrors.Reader(_channel.Received);
            var offset = reader.I64();
            var serverPrefix = reader.Fixed(SHA256.HashSizeInBytes).ToArray();
            reader.End();

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long from = 0;
            if (offset > 0 && offset <= size)
            {
                await FileServer.HashPrefixAsync(file, offset, hash, _channel.PayloadMemory, cancellationToken).ConfigureAwait(false);
                if (CryptographicOperations.FixedTimeEquals(hash.GetCurrentHash(), serverPrefix))
                {
                    from = offset;
                }
                else
                {
                    hash.GetHashAndReset();
                }
            }

            writer = new FieldSpanWriter(_channel.Payload);
            writer.I64(from);
            await _channel.SendAsync(FileMessageType.PutFrom, writer.Length, cancellationToken).ConfigureAwait(false);
            file.Position = from;
            progress?.Report(new TransferProgress(remote, from, size));
            var sent = from + await FileDataPump.SendAsync(_channel, file, size - from, hash, progress is null ? null : n => progress.Report(new TransferProgress(remote, from + n, size)), cancellationToken).ConfigureAwait(false);
            if (sent < size)
            {
                throw new IOException($"{localFile} shrank while being sent.");
            }

            var digest = hash.GetHashAndReset();
            digest.CopyTo(_channel.Payload);
            await _channel.SendAsync(FileMessageType.End, digest.Length, cancellationToken).ConfigureAwait(false);
            await _channel.FlushAsync(cancellationToken).ConfigureAwait(false);
            await _channel.ExpectAsync(FileMessageType.Ok, cancellationToken).ConfigureAwait(false);
            // Resumed at the very end: the server already held all of it with this SHA-256, so no byte was sent.
            return new TransferResult(remote, size, from, Convert.ToHexStringLower(digest)) { AlreadyComplete = size > 0 && from == size };
        }
    }

    /// <summary>Downloads a remote directory tree into <paramref name="localDirectory"/>; names from the server must stay inside it.</summary>
    public async Task<IReadOnlyList<TransferResult>> GetTreeAsync(string remoteDirectory, string localDirectory, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(localDirectory);
        var jail = new RootJail(localDirectory);
        var results = new List<TransferResult>();
        await GetTreeCoreAsync(remoteDirectory.TrimEnd('/'), jail, "", results, progress, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>Uploads a local directory tree to <paramref name="remoteDirectory"/> (created as needed); links are not followed.</summary>
    public async Task<IReadOnlyList<TransferResult>> PutTreeAsync(string localDirectory, string remoteDirectory, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new List<TransferResult>();
        var remoteRoot = remoteDirectory.TrimEnd('/');
        await EnsureRemoteDirectoryAsync(remoteRoot.Length == 0 ? "/" : remoteRoot, cancellationToken).ConfigureAwait(false);
        await PutTreeCoreAsync(new DirectoryInfo(localDirectory), remoteRoot, results, progress, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>Closes the connection to the server.</summary>
    public ValueTask DisposeAsync() => _channel.DisposeAsync();

    private async Task GetTreeCoreAsync(string remote, RootJail jail, string relative, List<TransferResult> results, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (var entry in await ListAsync(remote.Length == 0 ? "/" : remote, cancellationToken).ConfigureAwait(false))
        {
            // A hostile server could send "../x" or "a/b": the local jail refuses anything but one plain name.
            if (entry.Name.Contains('/', StringComparison.Ordinal))
            {
                throw new FileTransferException(FileErrorCode.PathRejected, $"The server sent the name \"{entry.Name}\".");
            }

            var local = jail.Resolve(relative.Length == 0 ? "/" : relative, entry.Name);
            var remoteChild = remote + "/" + entry.Name;
            if (entry.IsDirectory)
            {
                Directory.CreateDirectory(local.PhysicalPath);
                await GetTreeCoreAsync(remoteChild, jail, local.VirtualPath, results, progress, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                results.Add(await GetAsync(remoteChild, local.PhysicalPath, progress, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    private async Task PutTreeCoreAsync(DirectoryInfo local, string remote, List<TransferResult> results, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var entries = local.EnumerateFileSystemInfos().Where(e => e.LinkTarget is null && !RootJail.IsHidden(e.Name)).OrderBy(e => e.Name, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var remoteChild = remote + "/" + entry.Name;
            if (entry is DirectoryInfo directory)
            {
                await EnsureRemoteDirectoryAsync(remoteChild, cancellationToken).ConfigureAwait(false);
                await PutTreeCoreAsync(directory, remoteChild, results, progress, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                results.Add(await PutAsync(entry.FullName, remoteChild, progress, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    /// <summary>mkdir -p: creates each missing directory on the way (MakeDirectory is a no-op for an existing one).</summary>
    private async Task EnsureRemoteDirectoryAsync(string remote, CancellationToken cancellationToken)
    {
        var path = "";
        foreach (var segment in remote.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path += "/" + segment;
            await MakeDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<RemoteEntry>> RequestEntriesAsync(FileMessageType type, string path, CancellationToken cancellationToken)
    {
        var writer = new FieldSpanWriter(_channel.Payload);
        FileWireErrors.WritePath(ref writer, path);
        await _channel.SendAsync(type, writer.Length, cancellationToken).ConfigureAwait(false);
        await _channel.FlushAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<RemoteEntry>();
        bool more;
        do
        {
            await _channel.ExpectAsync(FileMessageType.Entries, cancellationToken).ConfigureAwait(false);
            more = ReadEntries(_channel.Received, entries);
        }
        while (more);
        return entries;
    }

    private static bool ReadEntries(ReadOnlySpan<byte> payload, List<RemoteEntry> entries)
    {
        var reader = FileWireErrors.Reader(payload);
        var more = reader.U8() == 1;
        var count = reader.U32();
        for (var i = 0u; i < count; i++)
        {
            var name = reader.String16();
            var directory = reader.U8() == 1;
            var size = reader.I64();
            var modified = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(reader.I64(), -62135596800, 253402300799));
            entries.Add(new RemoteEntry(name, directory, size, modified));
        }

        reader.End();
        return more;
    }

    private async Task SimpleAsync(FileMessageType type, string path, CancellationToken cancellationToken)
    {
        var writer = new FieldSpanWriter(_channel.Payload);
        FileWireErrors.WritePath(ref writer, path);
        await _channel.SendAsync(type, writer.Length, cancellationToken).ConfigureAwait(false);
        await _channel.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _channel.ExpectAsync(FileMessageType.Ok, cancellationToken).ConfigureAwait(false);
    }
}
