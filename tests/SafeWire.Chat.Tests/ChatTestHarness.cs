using System.Collections.Concurrent;
using System.Net;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Chat.Server;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Tests;

/// <summary>A server on a free loopback port plus clients whose incoming traffic is recorded; everything waits with timeouts.</summary>
internal sealed class ChatTestHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly List<TestClient> _clients = [];

    public ChatTestHarness(Action<ChatServerOptions>? configure = null, IChannelAuthenticator? serverAuthenticator = null)
    {
        var options = new ChatServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            Authenticator = serverAuthenticator ?? new InsecureTestAuthenticator("server"),
            HandshakeTimeout = TimeSpan.FromSeconds(5),
            DrainTimeout = TimeSpan.FromSeconds(3),
            FrameObserver = (_, frame) => ServerFrames.Enqueue(frame.ToArray()),
        };
        configure?.Invoke(options);
        Server = new ChatServer(options);
        Server.EventRaised += e => Events.Enqueue(e);
        Server.Start();
    }

    public ChatServer Server { get; }

    public ConcurrentQueue<ChatServerEvent> Events { get; } = new();

    /// <summary>Every decrypted frame the server read or wrote.</summary>
    public ConcurrentQueue<byte[]> ServerFrames { get; } = new();

    public async Task<TestClient> ConnectAsync(string name, Func<ChatMember, IChannelAuthenticator>? direct = null, IChannelAuthenticator? authenticator = null)
    {
        var client = await ChatClient.ConnectAsync("127.0.0.1", Server.Port, new ChatClientOptions
        {
            Name = name,
            Authenticator = authenticator ?? new InsecureTestAuthenticator(name),
            DirectAuthenticator = direct,
            ConnectTimeout = Timeout,
        }).WaitAsync(Timeout);
        var test = new TestClient(client);
        _clients.Add(test);
        return test;
    }

    public async Task WaitForEventAsync<T>(Func<T, bool>? match = null)
        where T : ChatServerEvent => await Until(() => Events.OfType<T>().Any(e => match?.Invoke(e) ?? true), $"server event {typeof(T).Name}");

    public static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for " + what);
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Server.DisposeAsync().AsTask().WaitAsync(Timeout);
    }
}

internal sealed class TestClient : IAsyncDisposable
{
    public TestClient(ChatClient client)
    {
        Client = client;
        client.MessageReceived += m => Received.Enqueue(m);
        client.DirectMessageReceived += m => Direct.Enqueue(m);
        client.DirectFailed += m => DirectFailures.Enqueue(m);
        Run = client.RunAsync();
    }

    public ChatClient Client { get; }

    public Task<ClientExit> Run { get; }

    public ConcurrentQueue<ChatMessage> Received { get; } = new();

    public ConcurrentQueue<DirectMessage> Direct { get; } = new();

    public ConcurrentQueue<string> DirectFailures { get; } = new();

    public Task WaitForAsync<T>(Func<T, bool>? match = null)
        where T : ChatMessage => ChatTestHarness.Until(() => Received.OfType<T>().Any(m => match?.Invoke(m) ?? true), $"{Client.Name} to receive {typeof(T).Name}");

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Run.WaitAsync(ChatTestHarness.Timeout);
    }
}
