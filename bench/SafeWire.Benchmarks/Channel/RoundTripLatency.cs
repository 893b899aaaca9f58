using System.Diagnostics;

namespace SafeWire.Benchmarks.Channel;

/// <summary>Ping-pong of a 1-byte message on one connection (async on both ends): the client times each round trip.</summary>
internal static class RoundTripLatency
{
    public readonly record struct Result(double P50Microseconds, double P99Microseconds);

    public static async Task<Result> MeasureAsync(Contenders contenders, Contender contender, int warmUp, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (client, server) = await contenders.ConnectAuthenticatedAsync(contender, timeout.Token);
        await using var clientStream = client;
        await using var serverStream = server;

        int total = warmUp + count;
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[1];
            for (int i = 0; i < total; i++)
            {
                await ReadOneAsync(server, buffer);
                await server.WriteAsync(buffer);
            }
        });

        var samples = new long[count];
        var message = new byte[] { 42 };
        var reply = new byte[1];
        for (int i = 0; i < total; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await client.WriteAsync(message);
            await ReadOneAsync(client, reply);
            if (i >= warmUp)
            {
                samples[i - warmUp] = Stopwatch.GetTimestamp() - start;
            }
        }

        await echo;
        Array.Sort(samples);
        return new Result(Microseconds(samples[count / 2]), Microseconds(samples[(int)(count * 0.99)]));
    }

    private static async Task ReadOneAsync(Stream stream, byte[] buffer)
    {
        if (await stream.ReadAsync(buffer) != 1)
        {
            throw new IOException("The peer closed during the ping-pong.");
        }
    }

    private static double Microseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
