using System.Buffers;
using System.Security.Cryptography;

namespace SafeWire.Files.Transfer;

/// <summary>
/// The Data-frame loops of get and put, shared by client and server. Each overlaps the disk and the hash with the
/// channel: the sender reads and hashes the next chunk while the current one is encrypted and sent; the receiver
/// hashes and writes one chunk while the next is received and decrypted. The hash still covers every byte in order,
/// exactly once, from the same buffer that goes to the wire or the disk.
/// </summary>
internal static class FileDataPump
{
    /// <summary>
    /// Sends up to <paramref name="count"/> bytes of <paramref name="file"/> from its position as Data frames,
    /// appending them to <paramref name="hash"/>. Returns the bytes sent: fewer than asked if the file shrank.
    /// </summary>
    public static async Task<long> SendAsync(FileChannel channel, FileStream file, long count, IncrementalHash hash, Action<long>? sent, CancellationToken cancellationToken)
    {
        var current = ArrayPool<byte>.Shared.Rent(FileChannel.HeaderSize + FileChannel.DataChunk);
        var next = ArrayPool<byte>.Shared.Rent(FileChannel.HeaderSize + FileChannel.DataChunk);
        var remaining = count;
        long total = 0;
        var filling = Fill(current);
        try
        {
            while (true)
            {
                var read = await filling.ConfigureAwait(false);
                if (read == 0)
                {
                    return total;
                }

                remaining -= read;
                filling = Fill(next);
                await channel.SendFrameAsync(FileMessageType.Data, current, read, cancellationToken).ConfigureAwait(false);
                total += read;
                sent?.Invoke(total);
                (current, next) = (next, current);
            }
        }
        finally
        {
            // A read may still be filling a buffer (the send failed): let it finish before the buffers go back.
            await ((Task)filling).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }

        Task<int> Fill(byte[] frame)
        {
            if (remaining <= 0)
            {
                return Task.FromResult(0);
            }

            var length = (int)Math.Min(FileChannel.DataChunk, remaining);
            return Task.Run(async () =>
            {
                var read = await file.ReadAsync(frame.AsMemory(FileChannel.HeaderSize, length), cancellationToken).ConfigureAwait(false);
                hash.AppendData(frame, FileChannel.HeaderSize, read);
                return read;
            }, cancellationToken);
        }
    }

    /// <summary>
    /// Receives Data frames into <paramref name="part"/> at its position until End, appending them to
    /// <paramref name="hash"/>; <paramref name="received"/> counts from where the transfer starts and may not pass
    /// <paramref name="size"/>. Returns the final count; the End payload is then in <see cref="FileChannel.Received"/>.
    /// </summary>
    public static async Task<long> ReceiveAsync(FileChannel channel, FileStream part, long received, long size, IncrementalHash hash, string peer, Action<long>? progress, CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(FileChannel.MaxFrame);
        var writing = Task.CompletedTask;
        try
        {
            while (true)
            {
                var type = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new IOException($"The {peer} closed the connection in the middle of a transfer.");
                await writing.ConfigureAwait(false);
                if (type == FileMessageType.End)
                {
                    return received;
                }

                if (type != FileMessageType.Data)
                {
                    throw new FileTransferException(FileErrorCode.BadRequest, $"Expected Data or End, got {type}.");
                }

                var length = channel.Received.Length;
                received += length;
                if (received > size)
                {
                    throw new FileTransferException(FileErrorCode.BadRequest, $"The {peer} sent more than the announced size.");
                }

                // The channel's buffer is reused by the next receive: hash and write a copy meanwhile.
                channel.Received.CopyTo(chunk);
                writing = Task.Run(async () =>
                {
                    hash.AppendData(chunk, 0, length);
                    await part.WriteAsync(chunk.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }, cancellationToken);
                progress?.Invoke(received);
            }
        }
        finally
        {
            await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
