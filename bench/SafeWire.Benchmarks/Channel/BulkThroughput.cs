using System.Diagnostics;

namespace SafeWire.Benchmarks.Channel;

/// <summary>
/// One connection on loopback; the client writes <c>total</c> bytes in 64 KiB writes while the server reads them
/// into a 64 KiB buffer, both on their own threads (sync) or tasks (async). A 64 MiB warm-up runs on the same
/// connection first. Also counts every byte allocated in the process during the timed part.
/// </summary>
internal static class BulkThroughput
{
    public const int WriteSize = 64 * 1024;
    private const long WarmUpBytes = 64L * 1024 * 1024;

    public readonly record struct Result(double BytesPerSecond, long AllocatedBytes, long Bytes);

    public static async Task<Result> MeasureAsync(Contenders contenders, Contender contender, long total, bool sync)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (client, server) = await contenders.ConnectAuthenticatedAsync(contender, timeout.Token);
        await using var clientStream = client;
        await using var serverStream = server;

        var data = new byte[WriteSize];
        Random.Shared.NextBytes(data);
        var sink = new byte[WriteSize];
        await TransferAsync(client, server, data, sink, WarmUpBytes, sync);

        GC.Collect();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        await TransferAsync(client, server, data, sink, total, sync);
        watch.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new Result(total / watch.Elapsed.TotalSeconds, allocated, total);
    }

    private static Task TransferAsync(Stream writer, Stream reader, byte[] data, byte[] sink, long total, bool sync)
    {
        if (sync)
        {
            var write = Task.Factory.StartNew(() => WriteSync(writer, data, total), TaskCreationOptions.LongRunning);
            var read = Task.Factory.StartNew(() => ReadSync(reader, sink, total), TaskCreationOptions.LongRunning);
            return Task.WhenAll(write, read);
        }

        return Task.WhenAll(Task.Run(() => WriteAsync(writer, data, total)), Task.Run(() => ReadAsync(reader, sink, total)));
    }

    private static void WriteSync(Stream stream, byte[] data, long total)
    {
        for (long sent = 0; sent < total; sent += data.Length)
        {
            stream.Write(data, 0, (int)Math.Min(data.Length, total - sent));
        }

        stream.Flush();
    }

    private static void ReadSync(Stream stream, byte[] sink, long total)
    {
        long received = 0;
        while (received < total)
        {
            int n = stream.Read(sink, 0, (int)Math.Min(sink.Length, total - received));
            if (n == 0)
            {
                throw new IOException($"The stream ended after {received} of {total} bytes.");
            }

            received += n;
        }
    }

    private static async Task WriteAsync(Stream stream, byte[] data, long total)
    {
        for (long sent = 0; sent < total; sent += data.Length)
        {
            await stream.WriteAsync(data.AsMemory(0, (int)Math.Min(data.Length, total - sent)));
        }

        await stream.FlushAsync();
    }

    private static async Task ReadAsync(Stream stream, byte[] sink, long total)
    {
        long received = 0;
        while (received < total)
        {
            int n = await stream.ReadAsync(sink.AsMemory(0, (int)Math.Min(sink.Length, total - received)));
            if (n == 0)
            {
                throw new IOException($"The stream ended after {received} of {total} bytes.");
            }

            received += n;
        }
    }
}
