using System.Diagnostics;
using SafeWire.Protocol.Handshake;
using SafeWire.Transport;

namespace SafeWire.Benchmarks.Channel;

/// <summary>
/// Connections per second, client and server in this process: each client loop connects, authenticates, reads the
/// one byte the server writes once its own handshake is done (so a count means both ends finished, and a client
/// receives its resumption ticket), and closes. Counting starts after a warm-up.
/// </summary>
internal static class HandshakeRate
{
    public readonly record struct Result(double PerSecond, long Handshakes, long Resumed, long ServerFailures);

    public static async Task<Result> MeasureAsync(Contenders contenders, Contender contender, bool resumption, int clients, TimeSpan duration, TimeSpan warmUp)
    {
        using var listener = Contenders.Listen();
        using var stop = new CancellationTokenSource();
        using var stopClients = new CancellationTokenSource();
        long serverFailures = 0;
        var acceptLoop = Contenders.AcceptEachAsync(listener, async socket =>
        {
            socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            if (!await ServeOneAsync(contenders, contender, socket, resumption))
            {
                Interlocked.Increment(ref serverFailures);
            }
        }, stop.Token);

        long counted = 0;
        long resumed = 0;
        bool counting = false;
        var loops = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var cache = new SessionTicketCache();
            var one = new byte[1];
            while (!stopClients.IsCancellationRequested)
            {
                var socket = Contenders.NewSocket();
                await socket.ConnectAsync(listener.LocalEndpoint);
                await using var stream = await contenders.AuthenticateClientAsync(contender, socket, resumption, cache, CancellationToken.None);
                if (await stream.ReadAsync(one) != 1)
                {
                    throw new IOException("The server closed before its byte.");
                }

                if (Volatile.Read(ref counting))
                {
                    Interlocked.Increment(ref counted);
                    if (stream is SecureStream { IsResumed: true })
                    {
                        Interlocked.Increment(ref resumed);
                    }
                }
            }
        })).ToArray();

        await Task.Delay(warmUp);
        var watch = Stopwatch.StartNew();
        Volatile.Write(ref counting, true);
        await Task.Delay(duration);
        Volatile.Write(ref counting, false);
        long total = Interlocked.Read(ref counted);
        watch.Stop();
        stopClients.Cancel();
        await Task.WhenAll(loops);
        stop.Cancel();
        listener.Stop();
        await acceptLoop;
        long resumedCount = Interlocked.Read(ref resumed);
        if (resumption && contender == Contender.SecureStream && resumedCount != total)
        {
            // A resumed row is only meaningful if the clients really resumed (they need the ticket from their read).
            throw new InvalidOperationException($"Only {resumedCount} of {total} SecureStream handshakes in the resumption run resumed.");
        }

        return new Result(total / watch.Elapsed.TotalSeconds, total, resumedCount, Interlocked.Read(ref serverFailures));
    }

    /// <returns>False if the server side failed before it could write its byte.</returns>
    private static async Task<bool> ServeOneAsync(Contenders contenders, Contender contender, System.Net.Sockets.Socket socket, bool resumption)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Stream stream;
        try
        {
            stream = await contenders.AuthenticateServerAsync(contender, socket, resumption, timeout.Token);
            await stream.WriteAsync(new byte[] { 1 }, timeout.Token);
            await stream.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            socket.Dispose();
            return false;
        }

        try
        {
            // Wait for the client to hang up (it resets the connection: linger 0).
            await stream.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false, timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // Expected: the client resets.
        }
        finally
        {
            await stream.DisposeAsync();
        }

        return true;
    }
}
