namespace SafeWire.Transport;

/// <summary>
/// One code path for sync and async reads (as in SslStream's ReadWriteAdapter): the sync adapter completes
/// every call synchronously, so the async core runs without ever yielding.
/// </summary>
internal interface IReadWriteAdapter
{
    /// <summary>True for the adapter whose calls all complete synchronously (failure handling must stay synchronous too).</summary>
    static abstract bool IsSync { get; }

    static abstract ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Waits until the stream has data, so no buffer is held while idle.</summary>
    static abstract ValueTask WaitForDataAsync(Stream stream, IStreamReadiness? readiness, CancellationToken cancellationToken);
}

internal readonly struct AsyncReadWriteAdapter : IReadWriteAdapter
{
    public static bool IsSync => false;

    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) => stream.ReadAsync(buffer, cancellationToken);

    public static async ValueTask WaitForDataAsync(Stream stream, IStreamReadiness? readiness, CancellationToken cancellationToken)
    {
        if (readiness is not null)
        {
            await readiness.WaitForDataAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await stream.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
    }
}

internal readonly struct SyncReadWriteAdapter : IReadWriteAdapter
{
    public static bool IsSync => true;

    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) => new(stream.Read(buffer.Span));

    /// <summary>A blocked thread costs more than a buffer: sync reads rent at once.</summary>
    public static ValueTask WaitForDataAsync(Stream stream, IStreamReadiness? readiness, CancellationToken cancellationToken) => default;
}
