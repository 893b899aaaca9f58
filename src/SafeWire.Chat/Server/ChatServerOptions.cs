using System.Net;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Server;

/// <summary>An inclusive range of TCP ports for port hopping.</summary>
public readonly record struct PortRange(int Low, int High)
{
    /// <summary>The IANA dynamic range, used when <c>--hop-ports</c> is given without a range.</summary>
    public static readonly PortRange Dynamic = new(49152, 65535);

    /// <summary>Parses <c>LOW-HIGH</c>; throws <see cref="FormatException"/> with a clear message otherwise.</summary>
    public static PortRange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], out var low) || !int.TryParse(parts[1], out var high)
            || low < 1 || high > 65535 || low > high)
        {
            throw new FormatException($"\"{text}\" is not a port range: write LOW-HIGH with 1 <= LOW <= HIGH <= 65535, e.g. 20000-20100.");
        }

        return new PortRange(low, high);
    }

    /// <summary>The range as <see cref="Parse"/> reads it: <c>LOW-HIGH</c>.</summary>
    public override string ToString() => $"{Low}-{High}";
}

/// <summary>How a <see cref="ChatServer"/> listens, authenticates and admits clients; read when the server is created and started.</summary>
public sealed class ChatServerOptions
{
    /// <summary>The address to listen on; loopback by default.</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>The control port (0 = any free port; <see cref="ChatServer.Port"/> says which).</summary>
    public int Port { get; set; } = 10101;

    /// <summary>Runs the handshake of each connection (usually a <see cref="SecureStreamAuthenticator"/>): its server options decide which clients get in.</summary>
    public required IChannelAuthenticator Authenticator { get; set; }

    /// <summary>The name clients see in their welcome.</summary>
    public string ServerName { get; set; } = "safewire";

    /// <summary>Clients in the conversation at once; the next one is refused with "server full".</summary>
    public int MaxClients { get; set; } = 100;

    /// <summary>Connections in their handshake at once (default 2,048); when all are taken, one that has not sent a whole first record, from the address holding the most places, is dropped for a newcomer.</summary>
    public int MaxConcurrentHandshakes { get; set; } = 2048;

    /// <summary>
    /// Time for the handshake and the Hello after it. Give the authenticator's own handshake timeout the same value:
    /// the server's backstop waits a second longer, so a stalled client is told handshake_timeout first.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = DefaultHandshakeTimeout;

    /// <summary>The default <see cref="HandshakeTimeout"/>: 5 s.</summary>
    public static TimeSpan DefaultHandshakeTimeout => TimeSpan.FromSeconds(5);

    /// <summary>
    /// The rest of the admission policy (per-address limit, first-bytes deadline, log interval and log). Its
    /// handshake timeout and pending cap are taken from <see cref="HandshakeTimeout"/> and
    /// <see cref="MaxConcurrentHandshakes"/>; its connection cap is <see cref="MaxClients"/> plus room to refuse.
    /// </summary>
    public Transport.AdmissionOptions Admission { get; set; } = new();

    /// <summary>Port hopping: when set, each client is moved to a fresh port from this range after the handshake.</summary>
    public PortRange? HopPorts { get; set; }

    /// <summary>How long an offered hop port waits for its client before it closes.</summary>
    public TimeSpan HopTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Frames queued for one slow client before it is disconnected.</summary>
    public int MaxQueuedFrames { get; set; } = 1024;

    /// <summary>How long <see cref="ChatServer.StopAsync"/> lets clients drain their queues.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock for timeouts and event times (tests pass a fake one).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Sees every decrypted frame the server reads or writes (tests use it to check what the server can see).</summary>
    public SafeWire.Framing.FrameObserver? FrameObserver { get; set; }

    /// <summary>
    /// Awaited after a client's welcome is on its way and before the server counts it as joined (in <see cref="ChatServer.List"/>,
    /// before <see cref="ClientJoined"/>): tests hold a join back with it to show that nobody relies on the welcome alone.
    /// </summary>
    internal Func<string, CancellationToken, Task>? BeforeJoin { get; set; }
}
