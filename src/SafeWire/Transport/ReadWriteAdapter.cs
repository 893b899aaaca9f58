namespace SafeWire.Transport;

/// <summary>
/// One code path for sync and async I/O (as in SslStream's ReadWriteAdapter): the sync adapter completes
/// every call synchronously, so the async core runs without ever yielding.
/// </summary>
internal interface IReadWriteAdapter
{
    static abstract ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken);

    static abstract ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    static abstract ValueTask WaitAsync(SemaphoreSlim semaphore, CancellationToken cancellationToken);
}

internal readonly struct AsyncReadWriteAdapter : IReadWriteAdapter
{
    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) => stream.ReadAsync(buffer, cancellationToken);

    public static ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) => stream.WriteAsync(buffer, cancellationToken);

    public static ValueTask WaitAsync(SemaphoreSlim semaphore, CancellationToken cancellationToken) => new(semaphore.WaitAsync(cancellationToken));
}

internal readonly struct SyncReadWriteAdapter : IReadWriteAdapter
{
    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) => new(stream.Read(buffer.Span));

    public static ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        stream.Write(buffer.Span);
        return default;
    }

    public static ValueTask WaitAsync(SemaphoreSlim semaphore, CancellationToken cancellationToken)
    {
        semaphore.Wait(cancellationToken);
        return default;
    }
}
