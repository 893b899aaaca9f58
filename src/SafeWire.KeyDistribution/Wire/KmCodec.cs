using SafeWire.Framing;
namespace SafeWire.KeyDistribution.Wire;

/// <summary>Welcome: the key manager greets an authenticated client with its peer id.</summary>
public sealed record WelcomeMessage(uint PeerId, string Name, string Fingerprint, string Text);

/// <summary>Where the sender must connect: the waiter's socket, as the key manager relays it.</summary>
public sealed record ConnectToMessage(TransferId TransferId, string Host, ushort Port);

/// <summary>
/// Bodies of the small client ↔ key-manager messages (the larger ones have their own records:
/// <see cref="PairedMessage"/>, <see cref="TransferKeys"/>, <see cref="ReportMessage"/>, <see cref="VerdictMessage"/>).
/// Every reader rejects trailing bytes.
/// </summary>
internal static class KmCodec
{
    public const int MaxNameLength = 64;
    public const int MaxPeersListed = 200;

    public static void WriteClientHello(FieldWriter w, string name) => w.String16(name);

    public static string ReadClientHello(KdFrame frame)
    {
        var r = frame.Reader();
        var name = r.String16();
        r.End();
        return name;
    }

    public static void WriteWelcome(FieldWriter w, WelcomeMessage m) => w.U32(m.PeerId).String16(m.Name).String16(m.Fingerprint).String16(m.Text);

    public static WelcomeMessage ReadWelcome(KdFrame frame)
    {
        var r = frame.Reader();
        var m = new WelcomeMessage(r.U32(), r.String16(), r.String16(), r.String16());
        r.End();
        return m;
    }

    public static void WritePeerList(FieldWriter w, IReadOnlyList<PeerEntry> peers)
    {
        var count = Math.Min(peers.Count, MaxPeersListed);
        w.U16((ushort)count);
        for (var i = 0; i < count; i++)
        {
            w.U32(peers[i].Id).String16(peers[i].Name).String16(peers[i].Fingerprint);
        }
    }

    public static IReadOnlyList<PeerEntry> ReadPeerList(KdFrame frame)
    {
        var r = frame.Reader();
        var count = r.U16();
        if (count > MaxPeersListed)
        {
            throw new KdException(KdError.Malformed, $"A peer list of {count} entries is too long.");
        }

        var peers = new List<PeerEntry>(count);
        for (var i = 0; i < count; i++)
        {
            peers.Add(new PeerEntry(r.U32(), r.String16(), r.String16()));
        }

        r.End();
        return peers;
    }

    /// <summary>Conn: the chosen waiting peer (its id or its name) and the mode.</summary>
    public static void WriteConn(FieldWriter w, string peer, TransferMode mode) => w.String16(peer).U8((byte)mode);

    public static (string Peer, TransferMode Mode) ReadConn(KdFrame frame)
    {
        var r = frame.Reader();
        var peer = r.String16();
        var mode = PairedMessage.ReadMode(ref r);
        r.End();
        return (peer, mode);
    }

    /// <summary>FetchKeys and Listen carry only the transfer ID.</summary>
    public static void WriteTransferId(FieldWriter w, TransferId id) => id.Write(w);

    public static TransferId ReadTransferId(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        r.End();
        return id;
    }

    /// <summary>Confirm: the transfer ID and the key-confirmation MAC (empty for e2e).</summary>
    public static void WriteConfirm(FieldWriter w, TransferId id, ReadOnlySpan<byte> mac)
    {
        id.Write(w);
        w.Bytes16(mac);
    }

    public static (TransferId Id, byte[] Mac) ReadConfirm(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        var mac = r.Bytes16().ToArray();
        r.End();
        return (id, mac);
    }

    /// <summary>Listening: the waiter's port, and the host to advertise (empty: the address the key manager sees).</summary>
    public static void WriteListening(FieldWriter w, TransferId id, string advertisedHost, ushort port)
    {
        id.Write(w);
        w.String16(advertisedHost).U16(port);
    }

    public static (TransferId Id, string Host, ushort Port) ReadListening(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        var host = r.String16();
        var port = r.U16();
        r.End();
        return (id, host, port);
    }

    public static void WriteConnectTo(FieldWriter w, ConnectToMessage m)
    {
        m.TransferId.Write(w);
        w.String16(m.Host).U16(m.Port);
    }

    public static ConnectToMessage ReadConnectTo(KdFrame frame)
    {
        var r = frame.Reader();
        var m = new ConnectToMessage(TransferId.Read(ref r), r.String16(), r.U16());
        r.End();
        return m;
    }

    public static void WriteRefused(FieldWriter w, RefusalReason reason, string message) => w.U8((byte)reason).String16(message);

    public static (RefusalReason Reason, string Message) ReadRefused(KdFrame frame)
    {
        var r = frame.Reader();
        var reason = (RefusalReason)r.U8();
        var message = r.String16();
        r.End();
        return (reason, message);
    }
}
