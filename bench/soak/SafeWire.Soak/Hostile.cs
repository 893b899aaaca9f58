using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace SafeWire.Soak;

/// <summary>
/// The attack on one server, all on loopback: <c>stalled</c> slowloris sockets (half silent, half sending the first
/// bytes of a handshake or command) from 127.60.x.y, eight per address, each reconnecting one second after the server
/// closes it; garbage senders from 127.70.x.y; and a login flood from 127.80.x.y of attempts with credentials the server refuses.
/// </summary>
internal sealed class Hostile : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private int _open;
    private long _reconnects;
    private long _garbage;
    private long _logins;
    private long _loginsAccepted;

    private Hostile()
    {
    }

    /// <summary>Stalled sockets open right now.</summary>
    public int Open => Volatile.Read(ref _open);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public long GarbageConnections => Interlocked.Read(ref _garbage);

    public long LoginAttempts => Interlocked.Read(ref _logins);

    /// <summary>Flood logins the server accepted (must stay 0).</summary>
    public long LoginsAccepted => Interlocked.Read(ref _loginsAccepted);

    public static Hostile Start(int port, int stalled, ReadOnlyMemory<byte> stallPrefix, int garbageSenders, int loginFlooders, Func<Socket, CancellationToken, Task<bool>> badLogin)
    {
        var hostile = new Hostile();
        for (int i = 0; i < stalled; i++)
        {
            var source = Source(60, (i / 8) + 1);
            var prefix = i % 2 == 0 ? ReadOnlyMemory<byte>.Empty : stallPrefix;
            hostile._tasks.Add(Task.Run(() => hostile.StallAsync(port, source, prefix)));
        }

        for (int i = 0; i < garbageSenders; i++)
        {
            var source = Source(70, i + 1);
            hostile._tasks.Add(Task.Run(() => hostile.GarbageAsync(port, source)));
        }

        for (int i = 0; i < loginFlooders; i++)
        {
            var source = Source(80, i + 1);
            hostile._tasks.Add(Task.Run(() => hostile.LoginFloodAsync(port, source, badLogin)));
        }

        return hostile;
    }

    /// <summary>Waits (at most <paramref name="limit"/>) until <paramref name="count"/> stalled sockets are open at once.</summary>
    public async Task WaitForOpenAsync(int count, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (Open < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_tasks).ConfigureAwait(false);
        _stop.Dispose();
    }

    private static IPAddress Source(int subnet, int address) =>
        IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"127.{subnet}.{address / 250}.{(address % 250) + 1}"));

    private async Task StallAsync(int port, IPAddress source, ReadOnlyMemory<byte> prefix)
    {
        var ct = _stop.Token;
        var sink = new byte[256];
        while (!ct.IsCancellationRequested)
        {
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct).ConfigureAwait(false);
                    Interlocked.Increment(ref _open);
                    try
                    {
                        if (!prefix.IsEmpty)
                        {
                            await socket.SendAsync(prefix, ct).ConfigureAwait(false);
                        }

                        // Stall: read whatever the server says until it closes the connection.
                        while (await socket.ReceiveAsync(sink, ct).ConfigureAwait(false) > 0)
                        {
                        }
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _open);
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                }
            }

            Interlocked.Increment(ref _reconnects);
            try
            {
                await Task.Delay(1000, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task GarbageAsync(int port, IPAddress source)
    {
        var ct = _stop.Token;
        var sink = new byte[256];
        while (!ct.IsCancellationRequested)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct).ConfigureAwait(false);
                Interlocked.Increment(ref _garbage);
                await socket.SendAsync(RandomNumberGenerator.GetBytes(1024), ct).ConfigureAwait(false);
                using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
                patience.CancelAfter(TimeSpan.FromSeconds(10));
                while (await socket.ReceiveAsync(sink, patience.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
    }

    private async Task LoginFloodAsync(int port, IPAddress source, Func<Socket, CancellationToken, Task<bool>> badLogin)
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            Interlocked.Increment(ref _logins);
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct).ConfigureAwait(false);
                if (await badLogin(socket, ct).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _loginsAccepted);
                }
            }
#pragma warning disable CA1031 // a refused login may end in any error; only an accepted one matters
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }
}
