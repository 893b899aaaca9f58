using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SafeWire.Identity;
using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Peer;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Tests.Support;

/// <summary>A key manager on 127.0.0.1 over <see cref="PlainTestChannels"/>, recording every frame it handles.</summary>
internal sealed class KmHarness : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public KmHarness(TimeSpan? keyLifetime = null, TimeProvider? time = null)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Server = new KeyManagerServer(new KeyManagerOptions
        {
            Log = Log,
            KeyLifetime = keyLifetime ?? TimeSpan.FromMinutes(2),
            Time = time ?? TimeProvider.System,
            Journal = _ => Journal,
        });
        var identity = TestIdentities.Create("km");
        _serving = Server.ServeAsync(async ct => await PlainTestChannels.AcceptAsync(await _listener.AcceptSocketAsync(ct), identity, ct), _stop.Token);
    }

    public int Port { get; }

    public KeyManagerServer Server { get; }

    public RecordingLog Log { get; } = new();

    public FrameJournal Journal { get; } = new();

    public async Task<(KeyManagerClient Client, PlainTestChannels Channels)> ConnectAsync(string name, PeerIdentity? identity = null)
    {
        var channels = new PlainTestChannels(identity ?? TestIdentities.Create(name));
        var channel = await channels.ConnectKeyManagerAsync("127.0.0.1", Port, Timeouts.Token());
        var client = new KeyManagerClient(channel);
        await client.HelloAsync(name, Timeouts.Token());
        return (client, channels);
    }

    /// <summary>Waits (bounded) until the log has a verdict for <paramref name="id"/>.</summary>
    public async Task<VerdictMessage> VerdictFor(TransferId id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var verdict = Log.Verdicts.FirstOrDefault(v => v.TransferId == id);
            if (verdict is not null)
            {
                return verdict;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("No verdict logged.\n" + Log.Text);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}

/// <summary>Every frame the key manager read or wrote: type and a copy of the body.</summary>
internal sealed class FrameJournal : IFrameObserver
{
    public ConcurrentQueue<(bool Outgoing, KdMessageType Type, byte[] Body)> Frames { get; } = new();

    public void OnFrame(bool outgoing, KdMessageType type, ReadOnlySpan<byte> body) => Frames.Enqueue((outgoing, type, body.ToArray()));
}

internal static class Timeouts
{
    public static CancellationToken Token(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
