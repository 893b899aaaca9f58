using System.Buffers;
using System.Security.Cryptography;
using SafeWire.Files.Storage;

namespace SafeWire.Files.Transfer;

/// <summary>
/// The Data-frame loops of get and put, shared by client and server. Each overlaps the disk and the hash with the
/// channel through a few pooled frame buffers: the sender reads and hashes the next chunks while the current one is
/// encrypted and sent; the receiver decrypts frames straight into free buffers while earlier ones are hashed and
/// written (the hash and the disk each in file order, side by side). The hash covers every byte in order, exactly
/// once, from the same buffer that goes to the wire or the disk.
/// </summary>
internal static class FileDataPump
{
    /// <summary>
    /// Frame buffers per transfer: one on the wire and up to three on the disk and hash side, so a short stall of
    /// either side (the two ends share the CPU on loopback, a direct write waits for the disk) does not stop the
    /// other at once.
    /// </summary>
    private const int Buffers = 4;

    /// <summary>
    /// Sends up to <paramref name="count"/> bytes of <paramref name="file"/> from its position as Data frames,
    /// appending them to <paramref name="hash"/>. Returns the bytes sent: fewer than asked if the file shrank.
    /// </summary>
    public static async Task<long> SendAsync(FileChannel channel, FileStream file, long count, IncrementalHash hash, Action<long>? sent, CancellationToken cancellationToken)
    {
        var frames = new byte[Buffers][];
        var fills = new Task<int>[Buffers];
        var remaining = count;
        var position = file.Position;
        long total = 0;
        Task filling = Task.CompletedTask;
        try
        {
            for (var i = 0; i < Buffers; i++)
            {
                frames[i] = ArrayPool<byte>.Shared.Rent(FileChannel.HeaderSize + FileChannel.DataChunk);
                fills[i] = Fill(frames[i]);
            }

            for (var i = 0; ; i = (i + 1) % Buffers)
            {
                var read = await fills[i].ConfigureAwait(false);
                if (read == 0)
                {
                    file.Position += total;
                    return total;
                }

                await channel.SendFrameAsync(FileMessageType.Data, frames[i], read, cancellationToken).ConfigureAwait(false);
                total += read;
                sent?.Invoke(total);
                fills[i] = Fill(frames[i]);
            }
        }
        finally
        {
            // Reads may still be filling buffers (the send failed): let them finish before the buffers go back.
            await filling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var frame in frames)
            {
                if (frame is not null)
                {
                    ArrayPool<byte>.Shared.Return(frame);
                }
            }
        }

        // Reads the next chunk into frame after the previous read finished (file order, hashed in order).
        Task<int> Fill(byte[] frame)
        {
            var length = (int)Math.Min(FileChannel.DataChunk, remaining);
            remaining -= length;
            if (length == 0)
            {
                return Task.FromResult(0);
            }

            var previous = filling;
            var at = position;
            position += length;
            var fill = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);
                // A plain pread on this pool thread: the async file API would queue the same call to another one.
                var chunk = frame.AsSpan(FileChannel.HeaderSize, length);
                var read = 0;
                while (read < length)
                {
                    var n = RandomAccess.Read(file.SafeFileHandle, chunk[read..], at + read);
                    if (n == 0)
                    {
                        break; // the file shrank: send what there is
                    }

                    read += n;
                }

                hash.AppendData(chunk[..read]);
                return read;
            }, cancellationToken);
            filling = fill;
            return fill;
        }
    }

    /// <summary>
    /// Receives Data frames into <paramref name="part"/> at its position until End, appending them to
    /// <paramref name="hash"/>; <paramref name="received"/> counts from where the transfer starts and may not pass
    /// <paramref name="size"/>. Returns the final count; the End payload is then in <see cref="FileChannel.Received"/>.
    /// Frames land in aligned buffers so that whole blocks can go to disk around the page cache
    /// (<see cref="SequentialFileWriter"/>).
    /// </summary>
    public static async Task<long> ReceiveAsync(FileChannel channel, SequentialFileWriter part, long received, long size, IncrementalHash hash, string peer, Action<long>? progress, CancellationToken cancellationToken)
    {
        var buffers = new SequentialFileWriter.AlignedBuffer[Buffers];
        var uses = new Task[Buffers];
        var hashing = Task.CompletedTask;
        var writing = Task.CompletedTask;
        try
        {
            for (var i = 0; i < Buffers; i++)
            {
                buffers[i] = SequentialFileWriter.RentAligned(FileChannel.MaxFrame);
                uses[i] = Task.CompletedTask;
            }

            for (var i = 0; ; i = (i + 1) % Buffers)
            {
                // The buffer is free once the hash and the write that last used it are done (a failure fails here).
                await uses[i].ConfigureAwait(false);
                var (type, length) = await channel.ReceiveDataAsync(buffers[i].Memory, cancellationToken).ConfigureAwait(false);
                if (type is null)
                {
                    throw new IOException($"The {peer} closed the connection in the middle of a transfer.");
                }

                if (type == FileMessageType.End)
                {
                    try
                    {
                        await Task.WhenAll(hashing, writing).ConfigureAwait(false);
                    }
                    catch (IOException e) when (e is not StorageFullException && StorageFullException.IsDiskFull(e))
                    {
                        // Marks a full disk noticed after End: the sender has nothing more to send.
                        throw new StorageFullException("The disk is full.", e);
                    }

                    return received;
                }

                if (type != FileMessageType.Data)
                {
                    throw new FileTransferException(FileErrorCode.BadRequest, $"Expected Data or End, got {type}.");
                }

                received += length;
                if (received > size)
                {
                    throw new FileTransferException(FileErrorCode.BadRequest, $"The {peer} sent more than the announced size.");
                }

                // Hashing and writing each keep file order, but run side by side: a direct write waits on the
                // disk (≈ 1 ms per MiB here) without the CPU, which meanwhile hashes the next chunk.
                var (previousHash, previousWrite) = (hashing, writing);
                var data = buffers[i].Memory[..length];
                hashing = Task.Run(async () =>
                {
                    await previousHash.ConfigureAwait(false);
                    hash.AppendData(data.Span);
                }, cancellationToken);
                writing = Task.Run(async () =>
                {
                    await previousWrite.ConfigureAwait(false);
                    part.Write(data.Span);
                }, cancellationToken);
                uses[i] = Task.WhenAll(hashing, writing);
                progress?.Invoke(received);
            }
        }
        finally
        {
            // Hashes and writes may still use the buffers (the receive failed): let them finish before the buffers go back.
            await Task.WhenAll(hashing, writing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var buffer in buffers)
            {
                buffer?.Dispose();
            }
        }
    }
}
