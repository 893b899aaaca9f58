using System.Net;
using System.Net.Sockets;

namespace SafeWire.KeyDistribution.Tests.Support;

/// <summary>
/// A TCP relay between sender and waiter that can flip one byte of the sender's stream at a given offset,
/// or cut both connections after a given number of bytes (a sender that vanishes mid-file).
/// </summary>
internal sealed class TamperingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public TamperingRelay(int targetPort, long flipAt = -1, long cutAfter = -1, long pauseAfter = -1)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _running = RunAsync(targetPort, flipAt, cutAfter, pauseAfter);
    }

    /// <summary>Completes when the relay stopped forwarding after pauseAfter bytes (both connections stay open).</summary>
    public Task Paused => _paused.Task;

    private readonly TaskCompletionSource _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private bool _disposed;

    public int Port { get; }

    public long Forwarded { get; private set; }

    public bool Flipped { get; private set; }

    private async Task RunAsync(int targetPort, long flipAt, long cutAfter, long pauseAfter)
    {
        try
        {
            using var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            using var outbound = new TcpClient();
            await outbound.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
            var a = inbound.GetStream();
            var b = outbound.GetStream();
            var back = b.CopyToAsync(a, _stop.Token);
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var n = await a.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                if (flipAt >= Forwarded && flipAt < Forwarded + n)
                {
                    buffer[flipAt - Forwarded] ^= 0x40;
                    Flipped = true;
                }

                if (pauseAfter >= 0 && Forwarded + n > pauseAfter)
                {
                    _paused.TrySetResult();
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                if (cutAfter >= 0 && Forwarded + n > cutAfter)
                {
                    var keep = (int)(cutAfter - Forwarded);
                    await b.WriteAsync(buffer.AsMemory(0, keep), _stop.Token);
                    Forwarded += keep;
                    inbound.Client.LingerState = new LingerOption(true, 0);
                    outbound.Client.LingerState = new LingerOption(true, 0);
                    return;
                }

                await b.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                Forwarded += n;
            }

            outbound.Client.Shutdown(SocketShutdown.Send);
            await back.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // A side closed: the relay is done.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync();
        _listener.Stop();
        await _running.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
