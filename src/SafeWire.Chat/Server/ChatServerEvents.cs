using System.Net;

namespace SafeWire.Chat.Server;

/// <summary>What the server reports to its host (the CLI prints these; library code never writes to the console).</summary>
/// <param name="Time">When it happened, by <see cref="ChatServerOptions.Time"/>.</param>
public abstract record ChatServerEvent(DateTimeOffset Time);

/// <summary>The server is accepting connections.</summary>
/// <param name="Time">When it started listening.</param>
/// <param name="EndPoint">The control port's address and port (the actual port when <see cref="ChatServerOptions.Port"/> was 0).</param>
public sealed record ServerListening(DateTimeOffset Time, IPEndPoint EndPoint) : ChatServerEvent(Time);

/// <summary>A client was welcomed into the conversation.</summary>
/// <param name="Time">When it joined.</param>
/// <param name="Client">The client as the admin console's <c>list</c> shows it.</param>
public sealed record ClientJoined(DateTimeOffset Time, ConnectionInfo Client) : ChatServerEvent(Time);

/// <summary>A client left the conversation (quit, kicked, too slow, connection lost).</summary>
/// <param name="Time">When it left.</param>
/// <param name="Client">The client, with its final byte and message counts.</param>
/// <param name="Reason">Why, in a few words.</param>
public sealed record ClientLeft(DateTimeOffset Time, ConnectionInfo Client, string Reason) : ChatServerEvent(Time);

/// <summary>A client was turned away after its handshake (server full, bad hop proof …).</summary>
public sealed record ClientRefused(DateTimeOffset Time, IPEndPoint? RemoteEndPoint, string? Name, string Reason) : ChatServerEvent(Time);

/// <summary>A connection failed before it joined: handshake failure (e.g. not on the allow-list), garbage, timeout.</summary>
public sealed record ConnectionFailed(DateTimeOffset Time, IPEndPoint? RemoteEndPoint, int LocalPort, string Reason) : ChatServerEvent(Time);

/// <summary>The admission policy's line about refused, dropped and failed connections: at most one per interval, however many there were.</summary>
public sealed record AdmissionSummary(DateTimeOffset Time, string Text) : ChatServerEvent(Time);

/// <summary>A decrypted chat message.</summary>
public sealed record MessageReceived(DateTimeOffset Time, uint ClientId, string Name, string Text) : ChatServerEvent(Time);

/// <summary>A hop port was opened for a client.</summary>
public sealed record HopPortOffered(DateTimeOffset Time, string Name, int ControlPort, int HopPort) : ChatServerEvent(Time);

/// <summary>A client proved itself on its hop port; the conversation continues there.</summary>
public sealed record HopCompleted(DateTimeOffset Time, uint ClientId, string Name, int HopPort) : ChatServerEvent(Time);

/// <summary>A client relayed an end-to-end session's bytes to another (the server sees only their size).</summary>
public sealed record DirectRelayed(DateTimeOffset Time, uint FromId, uint ToId, int Bytes) : ChatServerEvent(Time);
