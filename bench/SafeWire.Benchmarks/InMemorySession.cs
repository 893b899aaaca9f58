using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Handshake;
using SafeWire.Protocol.Records;

namespace SafeWire.Benchmarks;

/// <summary>
/// Two sans-I/O <see cref="ProtocolConnection"/>s joined in memory: the handshake without sockets or tasks, and
/// the record layer on its own (seal on one side, open in place on the other).
/// </summary>
internal static class InMemorySession
{
    public static HandshakeSettings Client(IPeerVerifier verifier, CipherSuite suite, SessionTicketCache? cache = null) => new()
    {
        IsClient = true,
        CipherSuites = [suite],
        PeerVerifier = verifier,
        ServerName = Channel.BenchCertificates.ServerName,
        TicketCache = cache,
        Now = DateTimeOffset.UtcNow,
    };

    public static HandshakeSettings Server(LocalCredential credential, CipherSuite suite, SessionTicketStore? tickets = null) => new()
    {
        IsClient = false,
        CipherSuites = [suite],
        Credential = credential,
        TicketStore = tickets,
        Now = DateTimeOffset.UtcNow,
    };

    /// <summary>Runs a complete handshake (and delivers any NewSessionTicket) between two fresh connections.</summary>
    public static (ProtocolConnection Client, ProtocolConnection Server) Handshake(HandshakeSettings client, HandshakeSettings server, byte[] scratch)
    {
        var c = new ProtocolConnection(client);
        var s = new ProtocolConnection(server);
        for (int round = 0; round < 8 && (c.HasOutput || s.HasOutput); round++)
        {
            Deliver(c, s, scratch);
            Deliver(s, c, scratch);
        }

        if (!c.IsHandshakeComplete || !s.IsHandshakeComplete)
        {
            throw new InvalidOperationException("The in-memory handshake did not complete.");
        }

        return (c, s);
    }

    /// <summary>Moves every pending record from one side into the other, record by record.</summary>
    public static void Deliver(ProtocolConnection from, ProtocolConnection to, byte[] scratch)
    {
        if (!from.HasOutput)
        {
            return;
        }

        int total = from.Output.Length;
        from.Output.Span.CopyTo(scratch);
        from.ClearOutput();
        for (int at = 0; at < total;)
        {
            RecordHeader.TryRead(scratch.AsSpan(at, total - at), out var header);
            int length = ProtocolConstants.RecordHeaderLength + header.Length;
            to.ProcessRecord(scratch.AsSpan(at, length), out _, out _);
            at += length;
        }
    }

    /// <summary>Seals <paramref name="data"/> on one side and opens it in place on the other; returns the plaintext length.</summary>
    public static int SealAndOpen(ProtocolConnection writer, ProtocolConnection reader, ReadOnlySpan<byte> data, byte[] record)
    {
        int n = writer.SealApplicationData(data, record);
        int at = 0;
        int plaintext = 0;
        while (at < n)
        {
            RecordHeader.TryRead(record.AsSpan(at, n - at), out var header);
            int length = ProtocolConstants.RecordHeaderLength + header.Length;
            if (reader.ProcessRecord(record.AsSpan(at, length), out _, out int plain) == RecordKind.ApplicationData)
            {
                plaintext += plain;
            }

            at += length;
        }

        return plaintext;
    }
}
