using System.Net;

namespace SafeWire.Chat.Server;

/// <summary>A row of the admin console's <c>list</c>: one connected client.</summary>
public sealed record ConnectionInfo(
    uint Id,
    string Name,
    string Fingerprint,
    IPEndPoint RemoteEndPoint,
    int LocalPort,
    DateTimeOffset ConnectedSince,
    string CipherSuite,
    long BytesIn,
    long BytesOut,
    long MessagesIn);

/// <summary>The admin console's <c>stats</c>.</summary>
public sealed record ChatServerStats(
    int Connected,
    int MaxClients,
    long Accepted,
    long Refused,
    long FailedConnections,
    long MessagesRelayed,
    long DirectBytesRelayed,
    long BytesIn,
    long BytesOut,
    TimeSpan Uptime);
