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
public static class KmCodec
{
    public const int MaxNameLength = 64;
    public const int MaxPeersListed = 200;

    public static void WriteClientHello(FrameWriter w, string name) => w.Text(name);

    public static string ReadClientHello(KdFrame frame)
    {
        var r = frame.Reader();
        var name = r.Text();
        r.EnsureEnd();
        return name;
    }

    public static void WriteWelcome(FrameWriter w, WelcomeMessage m) => w.U32(m.PeerId).Text(m.Name).Text(m.Fingerprint).Text(m.Text);

    public static WelcomeMessage ReadWelcome(KdFrame frame)
    {
        var r = frame.Reader();
        var m = new WelcomeMessage(r.U32(), r.Text(), r.Text(), r.Text());
        r.EnsureEnd();
        return m;
    }

    public static void WritePeerList(FrameWriter w, IReadOnlyList<PeerEntry> peers)
    {
        var count = Math.Min(peers.Count, MaxPeersListed);
        w.U16((ushort)count);
        for (var i = 0; i < count; i++)
        {
            w.U32(peers[i].Id).Text(peers[i].Name).Text(peers[i].Fingerprint);
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
            peers.Add(new PeerEntry(r.U32(), r.Text(), r.Text()));
        }

        r.EnsureEnd();
        return peers;
    }

    /// <summary>Conn: the chosen waiting peer (its id or its name) and the mode.</summary>
    public static void WriteConn(FrameWriter w, string peer, TransferMode mode) => w.Text(peer).U8((byte)mode);

    public static (string Peer, TransferMode Mode) ReadConn(KdFrame frame)
    {
        var r = frame.Reader();
        var peer = r.Text();
        var mode = PairedMessage.ReadMode(ref r);
        r.EnsureEnd();
        return (peer, mode);
    }

    /// <summary>FetchKeys and Listen carry only the transfer ID.</summary>
    public static void WriteTransferId(FrameWriter w, TransferId id) => id.Write(w);

    public static TransferId ReadTransferId(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        r.EnsureEnd();
        return id;
    }

    /// <summary>Confirm: the transfer ID and the key-confirmation MAC (empty for e2e).</summary>
    public static void WriteConfirm(FrameWriter w, TransferId id, ReadOnlySpan<byte> mac)
    {
        id.Write(w);
        w.Bytes(mac);
    }

    public static (TransferId Id, byte[] Mac) ReadConfirm(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        var mac = r.Bytes().ToArray();
        r.EnsureEnd();
        return (id, mac);
    }

    /// <summary>Listening: the waiter's port, and the host to advertise (empty: the address the key manager sees).</summary>
    public static void WriteListening(FrameWriter w, TransferId id, string advertisedHost, ushort port)
    {
        id.Write(w);
        w.Text(advertisedHost).U16(port);
    }

    public static (TransferId Id, string Host, ushort Port) ReadListening(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        var host = r.Text();
        var port = r.U16();
        r.EnsureEnd();
        return (id, host, port);
    }

    public static void WriteConnectTo(FrameWriter w, ConnectToMessage m)
    {
        m.TransferId.Write(w);
        w.Text(m.Host).U16(m.Port);
    }

    public static ConnectToMessage ReadConnectTo(KdFrame frame)
    {
        var r = frame.Reader();
        var m = new ConnectToMessage(TransferId.Read(ref r), r.Text(), r.U16());
        r.EnsureEnd();
        return m;
    }

    public static void WriteRefused(FrameWriter w, RefusalReason reason, string message) => w.U8((byte)reason).Text(message);

    public static (RefusalReason Reason, string Message) ReadRefused(KdFrame frame)
    {
        var r = frame.Reader();
        var reason = (RefusalReason)r.U8();
        var message = r.Text();
        r.EnsureEnd();
        return (reason, message);
    }
}
