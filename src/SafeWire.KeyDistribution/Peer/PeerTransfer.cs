using SafeWire.Framing;
using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Peer;

/// <summary>Everything a peer knows about its transfer once the key manager has paired it.</summary>
/// <param name="Keys">The issued keys (cbc/cfb); null for e2e, where the SafeWire channel protects the data.</param>
internal sealed record TransferContext(TransferId TransferId, TransferMode Mode, TransferRole Role, string PeerName, string PeerFingerprint, DateTimeOffset ExpiresAt, TransferKeys? Keys);

/// <summary>What one side of a transfer did: the numbers reported to the key manager.</summary>
/// <param name="Blocks">cbc/cfb: AES blocks encrypted (sender) or decrypted (receiver); e2e: chunks.</param>
public sealed record TransferOutcome(ulong Blocks, ulong Bytes, uint FilesTransferred, IReadOnlyList<string> Declined, IReadOnlyList<string> Saved);

/// <summary>
/// The peer-to-peer file protocol (sender and receiver). Frames: PeerHello(transferId, confirmation MAC) →
/// PeerHelloAck(MAC); per file FileOffer → FileAnswer, then Chunk* and FileEnd(file MAC) → FileResult;
/// PeerDone at the end, PeerAbort(reason) from either side on failure. Constant memory: one pooled chunk buffer.
/// </summary>
internal static class PeerTransfer
{
    private const int ChunkHeader = 4 + 8 + 1 + 4;

    private const string PartSuffix = ".part";

    /// <summary>A temporary receive file that a killed receiver left behind is deleted once last written longer ago than this.</summary>
    public static readonly TimeSpan StalePartAge = TimeSpan.FromHours(24);

    /// <summary>Sender: proves its keys, then offers and streams each file.</summary>
    public static async Task<TransferOutcome> SendAsync(KdConnection connection, TransferContext context, IReadOnlyList<string> files, IPeerUi ui, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(ui);
        ArgumentNullException.ThrowIfNull(time);
        EnsureNotExpired(context, time);
        using var cipher = context.Keys is null ? null : new ChunkCipher(context.Keys);
        await connection.SendAsync(KdMessageType.PeerHello, w =>
        {
            context.TransferId.Write(w);
            WriteConfirmation(w, context, TransferRole.Sender);
        }, cancellationToken).ConfigureAwait(false);
        var ack = await connection.ExpectAsync(KdMessageType.PeerHelloAck, cancellationToken).ConfigureAwait(false);
        VerifyConfirmation(ack, context, TransferRole.Receiver);

        ulong blocks = 0, bytes = 0;
        uint sent = 0;
        var declined = new List<string>();
        var plain = ArrayPool<byte>.Shared.Rent(ChunkCipher.ChunkSize);
        var frame = ArrayPool<byte>.Shared.Rent(KdConnection.HeaderSize + ChunkHeader + ChunkCipher.MaxCipherChunk + TransferKeys.MacSize);
        try
        {
            for (var index = 0; index < files.Count; index++)
            {
                var path = files[index];
                var name = Path.GetFileName(path);
                await using var file = OpenForReading(path);
                var length = file.Length;
                var chunkCount = ChunkCipher.ChunkCount(length);
                var encrypted = cipher is null ? length : ChunkCipher.EncryptedFileLength(length);
                var fileIndex = (uint)index;
                await connection.SendAsync(KdMessageType.FileOffer, w => w.U32(fileIndex).String16(name).I64(length).I64(encrypted).I64(chunkCount), cancellationToken).ConfigureAwait(false);
                var answer = await connection.ExpectAsync(KdMessageType.FileAnswer, cancellationToken).ConfigureAwait(false);
                if (!ReadAnswer(answer, fileIndex))
                {
                    declined.Add(name);
                    ui.Warn($"{context.PeerName} declined {name}.");
                    continue;
                }

                using var progress = ui.StartProgress(name, length, sending: true);
                cipher?.BeginFile(fileIndex, name, length, chunkCount);
                using var hash = cipher is null ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
                var remaining = length;
                for (long chunk = 0; chunk < chunkCount; chunk++)
                {
                    var want = (int)Math.Min(ChunkCipher.ChunkSize, remaining);
                    var read = await file.ReadAtLeastAsync(plain.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                    if (read < want)
                    {
                        throw new KdException(KdError.FileError, $"{name} shrank while it was being sent.");
                    }

                    remaining -= read;
                    var final = chunk == chunkCount - 1;
                    var dataLength = cipher is null ? read : ChunkCipher.CipherLength(read);
                    var macLength = cipher is null ? 0 : TransferKeys.MacSize;
                    var chunkIndex = (ulong)chunk;
                    var bodyLength = ChunkHeader + dataLength + macLength;
                    BuildChunk(frame, cipher, hash, plain.AsSpan(0, read), fileIndex, chunkIndex, final, dataLength, macLength);
                    await connection.SendFrameAsync(frame.AsMemory(0, KdConnection.HeaderSize + bodyLength), cancellationToken).ConfigureAwait(false);
                    blocks += cipher is null ? 1UL : (ulong)(dataLength / ChunkCipher.BlockSize);
                    progress.Advance(read);
                }

                await connection.SendAsync(KdMessageType.FileEnd, w =>
                {
                    Span<byte> mac = stackalloc byte[TransferKeys.MacSize];
                    if (cipher is null)
                    {
                        hash!.GetHashAndReset(mac);
                    }
                    else
                    {
                        cipher.EndFile(mac);
                    }

                    w.U32(fileIndex).Bytes16(mac);
                }, cancellationToken).ConfigureAwait(false);
                var result = await connection.ExpectAsync(KdMessageType.FileResult, cancellationToken).ConfigureAwait(false);
                var reader = result.Reader();
                if (reader.U32() != fileIndex || reader.U8() == 0)
                {
                    throw new KdException(KdError.PeerFailed, $"{context.PeerName} could not save {name}.");
                }

                progress.Complete(true);
                sent++;
                bytes += (ulong)length;
            }

            await connection.SendAsync(KdMessageType.PeerDone, cancellationToken).ConfigureAwait(false);
            return new TransferOutcome(blocks, bytes, sent, declined, []);
        }
        catch (KdException e) when (e.Error is not (KdError.PeerFailed or KdError.ConnectionClosed))
        {
            await TryAbortAsync(connection, e.Message).ConfigureAwait(false);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain.AsSpan(0, ChunkCipher.ChunkSize));
            ArrayPool<byte>.Shared.Return(plain);
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Chunk frame: header, then u32 file | u64 chunk | u8 final | u32 length | data | MAC (cbc/cfb).</summary>
    private static void BuildChunk(byte[] frame, ChunkCipher? cipher, IncrementalHash? hash, ReadOnlySpan<byte> plain, uint fileIndex, ulong chunkIndex, bool final, int dataLength, int macLength)
    {
        KdConnection.WriteHeader(frame, KdMessageType.Chunk, ChunkHeader + dataLength + macLength);
        var span = frame.AsSpan(KdConnection.HeaderSize);
        BinaryPrimitives.WriteUInt32BigEndian(span, fileIndex);
        BinaryPrimitives.WriteUInt64BigEndian(span[4..], chunkIndex);
        span[12] = final ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32BigEndian(span[13..], dataLength);
        var data = span.Slice(ChunkHeader, dataLength);
        if (cipher is null)
        {
            // e2e: the SafeWire channel encrypts; the file hash is checked end to end at FileEnd.
            plain.CopyTo(data);
            hash!.AppendData(plain);
        }
        else
        {
            cipher.EncryptChunk(fileIndex, chunkIndex, final, plain, data, span.Slice(ChunkHeader + dataLength, macLength));
        }
    }

    /// <summary>
    /// Receiver, step 1: checks the connecting peer's transfer ID and key confirmation and answers with its
    /// own. A peer that fails here (a third client, stale or foreign keys) is told why and refused; the
    /// caller may keep listening for the real sender.
    /// </summary>
    public static async Task AcceptHelloAsync(KdConnection connection, TransferContext context, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(time);
        try
        {
            var hello = await connection.ExpectAsync(KdMessageType.PeerHello, cancellationToken).ConfigureAwait(false);
            var reader = hello.Reader();
            if (TransferId.Read(ref reader) != context.TransferId)
            {
                throw new KdException(KdError.Refused, "The connecting peer presented a different transfer ID.");
            }

            EnsureNotExpired(context, time);
            VerifyConfirmation(hello, context, TransferRole.Sender, skipTransferId: true);
        }
        catch (KdException e) when (e.Error is not KdError.ConnectionClosed)
        {
            await TryAbortAsync(connection, e.Message).ConfigureAwait(false);
            throw;
        }

        await connection.SendAsync(KdMessageType.PeerHelloAck, w => WriteConfirmation(w, context, TransferRole.Receiver), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Receiver, step 2: for each offered file asks the UI, writes the verified plaintext to a temporary
    /// file and moves it into place only after the file MAC verifies. Any failure deletes the temporary file
    /// and tells the sender why.
    /// </summary>
    public static async Task<TransferOutcome> ReceiveFilesAsync(KdConnection connection, TransferContext context, IPeerUi ui, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(ui);
        using var cipher = context.Keys is null ? null : new ChunkCipher(context.Keys);
        ulong blocks = 0, bytes = 0;
        uint received = 0;
        var declined = new List<string>();
        var saved = new List<string>();
        var plain = ArrayPool<byte>.Shared.Rent(ChunkCipher.MaxCipherChunk);
        string? temp = null;
        var swept = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (true)
            {
                var frame = await connection.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (frame.Type == KdMessageType.PeerDone)
                {
                    return new TransferOutcome(blocks, bytes, received, declined, saved);
                }

                if (frame.Type != KdMessageType.FileOffer)
                {
                    throw KdConnection.Unexpected("FileOffer or PeerDone", frame);
                }

                var offer = frame.Reader();
                var fileIndex = offer.U32();
                var name = offer.String16();
                var length = offer.I64();
                var encrypted = offer.I64();
                var chunkCount = offer.I64();
                offer.End();
                if (!IsPlainFileName(name) || length < 0 || chunkCount != ChunkCipher.ChunkCount(length)
                    || encrypted != (cipher is null ? length : ChunkCipher.EncryptedFileLength(length)))
                {
                    throw new KdException(KdError.Malformed, $"The sender offered an invalid file ({name}, {length} bytes).");
                }

                var target = await ui.DecideAsync(new FileOffer(context.PeerName, context.PeerFingerprint, name, length, encrypted), cancellationToken).ConfigureAwait(false);
                await connection.SendAsync(KdMessageType.FileAnswer, w => w.U32(fileIndex).U8(target is null ? (byte)0 : (byte)1), cancellationToken).ConfigureAwait(false);
                if (target is null)
                {
                    declined.Add(name);
                    continue;
                }

                var directory = Path.GetDirectoryName(Path.GetFullPath(target))!;
                if (swept.Add(directory))
                {
                    RemoveStaleParts(directory, StalePartAge, DateTimeOffset.UtcNow);
                }

                temp = Path.Combine(directory, $".{name}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}{PartSuffix}");
                using (var progress = ui.StartProgress(name, length, sending: false))
                {
                    await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                    {
                        cipher?.BeginFile(fileIndex, name, length, chunkCount);
                        using var hash = cipher is null ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
                        long written = 0;
                        for (long chunk = 0; chunk < chunkCount; chunk++)
                        {
                            var n = ReceiveChunk(await connection.ReadAsync(cancellationToken).ConfigureAwait(false), cipher, hash, fileIndex, (ulong)chunk, chunk == chunkCount - 1, plain, name);
                            if (written + n > length)
                            {
                                throw new KdException(KdError.IntegrityFailure, $"{name}: more data than the offered {length} bytes.");
                            }

                            await output.WriteAsync(plain.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                            written += n;
                            blocks += cipher is null ? 1UL : (ulong)((n / ChunkCipher.BlockSize) + 1);
                            progress.Advance(n);
                        }

                        var end = await connection.ExpectAsync(KdMessageType.FileEnd, cancellationToken).ConfigureAwait(false);
                        var endReader = end.Reader();
                        var endIndex = endReader.U32();
                        var mac = endReader.Bytes16Exactly(TransferKeys.MacSize);
                        endReader.End();
                        var ok = endIndex == fileIndex && written == length && (cipher is null ? VerifyHash(hash!, mac) : cipher.VerifyFile(mac));
                        if (!ok)
                        {
                            throw new KdException(KdError.IntegrityFailure, $"{name}: the file MAC did not verify; the file was refused.");
                        }

                        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }

                    File.Move(temp, target, overwrite: false);
                    temp = null;
                    progress.Complete(true);
                }

                saved.Add(target);
                await connection.SendAsync(KdMessageType.FileResult, w => w.U32(fileIndex).U8(1), cancellationToken).ConfigureAwait(false);
                received++;
                bytes += (ulong)length;
            }
        }
        catch (Exception e) when (e is KdException or IOException or UnauthorizedAccessException)
        {
            var failure = e as KdException ?? new KdException(KdError.FileError, "Could not save the file: " + e.Message, e);
            if (failure.Error is not (KdError.PeerFailed or KdError.ConnectionClosed))
            {
                await TryAbortAsync(connection, failure.Message).ConfigureAwait(false);
            }

            if (ReferenceEquals(failure, e))
            {
                throw;
            }

            throw failure;
        }
        finally
        {
            if (temp is not null)
            {
                TryDelete(temp);
            }

            CryptographicOperations.ZeroMemory(plain.AsSpan(0, ChunkCipher.MaxCipherChunk));
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    /// <summary>
    /// Deletes the temporary receive files (".NAME.XXXXXXXX.part", as this class names them) in
    /// <paramref name="directory"/> last written more than <paramref name="maxAge"/> before <paramref name="now"/>:
    /// a receiver killed in the middle of a file leaves one behind. Other files, directories and links are left alone;
    /// returns the paths removed.
    /// </summary>
    internal static IReadOnlyList<string> RemoveStaleParts(string directory, TimeSpan maxAge, DateTimeOffset now)
    {
        var removed = new List<string>();
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true, MatchType = MatchType.Simple };
        try
        {
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles(".*" + PartSuffix, options))
            {
                if (IsTemporaryReceiveName(file.Name) && now - new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero) > maxAge)
                {
                    TryDelete(file.FullName);
                    if (!File.Exists(file.FullName))
                    {
                        removed.Add(file.FullName);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The directory is not readable: the receive itself reports what is wrong with it.
        }

        return removed;
    }

    /// <summary>True for ".NAME.XXXXXXXX.part" with eight upper-case hex digits, the name a receive writes to.</summary>
    private static bool IsTemporaryReceiveName(string name)
    {
        const int Tail = 1 + 8 + 5; // ".XXXXXXXX.part"
        if (name.Length <= 1 + Tail || name[0] != '.' || !name.EndsWith(PartSuffix, StringComparison.Ordinal) || name[^Tail] != '.')
        {
            return false;
        }

        foreach (var c in name.AsSpan(name.Length - Tail + 1, 8))
        {
            if (!char.IsAsciiHexDigitUpper(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A name with no directory part, no "..", no control characters.</summary>
    public static bool IsPlainFileName(string name) =>
        name.Length is > 0 and <= 255 && name != "." && name != ".." && Path.GetFileName(name) == name
        && name.IndexOfAny(['/', '\\', '\0']) < 0 && !name.Any(char.IsControl);

    private static int ReceiveChunk(KdFrame frame, ChunkCipher? cipher, IncrementalHash? hash, uint fileIndex, ulong chunkIndex, bool final, byte[] plain, string name)
    {
        if (frame.Type != KdMessageType.Chunk)
        {
            throw KdConnection.Unexpected("Chunk", frame);
        }

        var body = frame.Body.Span;
        if (body.Length < ChunkHeader)
        {
            throw new KdException(KdError.Malformed, "A chunk frame is too short.");
        }

        var macLength = cipher is null ? 0 : TransferKeys.MacSize;
        var dataLength = BinaryPrimitives.ReadInt32BigEndian(body[13..]);
        var maxData = cipher is null ? ChunkCipher.ChunkSize : ChunkCipher.MaxCipherChunk;
        if (dataLength < 0 || dataLength > maxData || body.Length != ChunkHeader + dataLength + macLength
            || (cipher is not null && (dataLength == 0 || dataLength % ChunkCipher.BlockSize != 0)))
        {
            throw new KdException(KdError.Malformed, "A chunk frame has an invalid length.");
        }

        // Position fields are checked here and bound by the MAC too, so a reordered chunk fails either way.
        if (BinaryPrimitives.ReadUInt32BigEndian(body) != fileIndex || BinaryPrimitives.ReadUInt64BigEndian(body[4..]) != chunkIndex || (body[12] == 1) != final)
        {
            throw new KdException(KdError.IntegrityFailure, $"{name}: chunk {chunkIndex} is out of order; the file was refused.");
        }

        var data = body.Slice(ChunkHeader, dataLength);
        if (cipher is null)
        {
            data.CopyTo(plain);
            hash!.AppendData(data);
            return dataLength;
        }

        var n = cipher.DecryptChunk(fileIndex, chunkIndex, final, data, body.Slice(ChunkHeader + dataLength, macLength), plain);
        return n >= 0 ? n : throw new KdException(KdError.IntegrityFailure, $"{name}: chunk {chunkIndex} failed its MAC (changed in flight?); the file was refused.");
    }

    private static bool VerifyHash(IncrementalHash hash, ReadOnlySpan<byte> received)
    {
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        hash.GetHashAndReset(expected);
        return CryptographicOperations.FixedTimeEquals(expected, received);
    }

    private static FileStream OpenForReading(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KdException(KdError.FileError, $"Cannot read {path}: {e.Message}", e);
        }
    }

    private static bool ReadAnswer(KdFrame answer, uint fileIndex)
    {
        var reader = answer.Reader();
        var index = reader.U32();
        var accepted = reader.U8() != 0;
        reader.End();
        return index == fileIndex ? accepted : throw new KdException(KdError.UnexpectedMessage, $"Answer for file {index}, expected {fileIndex}.");
    }

    private static void WriteConfirmation(FieldWriter w, TransferContext context, TransferRole role)
    {
        Span<byte> mac = stackalloc byte[TransferKeys.MacSize];
        if (context.Keys is null)
        {
            // e2e: the SafeWire handshake already proved both identities; nothing to confirm here.
            w.Bytes16([]);
            return;
        }

        context.Keys.ConfirmationMac(role, mac);
        w.Bytes16(mac);
    }

    private static void VerifyConfirmation(KdFrame frame, TransferContext context, TransferRole role, bool skipTransferId = false)
    {
        var reader = frame.Reader();
        if (skipTransferId)
        {
            TransferId.Read(ref reader);
        }

        var mac = reader.Bytes16();
        reader.End();
        var ok = context.Keys is null ? mac.IsEmpty : context.Keys.VerifyConfirmation(role, mac);
        if (!ok)
        {
            throw new KdException(KdError.KeyConfirmationFailed, $"Key confirmation from the {role.ToString().ToLowerInvariant()} failed: the peers do not hold the same transfer keys.");
        }
    }

    private static void EnsureNotExpired(TransferContext context, TimeProvider time)
    {
        if (time.GetUtcNow() > context.ExpiresAt)
        {
            throw new KdException(KdError.Refused, $"Transfer {context.TransferId.Abbreviated} expired at {context.ExpiresAt:HH:mm:ss}.");
        }
    }

    private static async Task TryAbortAsync(KdConnection connection, string reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await connection.SendAsync(KdMessageType.PeerAbort, w => w.String16(reason), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is already gone; the key manager still hears about it from the report.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover .part file is hidden and never has the final name.
        }
    }
}
