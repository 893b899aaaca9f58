using System.Net;
using System.Net.Sockets;
using SafeWire.Identity;
using SafeWire.Voting;

namespace SafeWire.Benchmarks.Voting;

/// <summary>
/// A voting server on 127.0.0.1 and a free port for the end-to-end runs: every accepted connection gets the SafeWire
/// handshake (<see cref="VoteTransport.AcceptAsync"/>) and is then handed to <c>handle</c>; disposing stops it.
/// </summary>
internal sealed class LoopbackVoteServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    public LoopbackVoteServer(LocalCredential credential, Func<Stream, CancellationToken, Task> handle)
    {
        _listener.Start(1024);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        await using var stream = await VoteTransport.AcceptAsync(client.GetStream(), credential, _stop.Token);
                        await handle(stream, _stop.Token);
                    }
                });
            }
        });
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _acceptLoop;
        _listener.Dispose();
        _stop.Dispose();
    }
}
