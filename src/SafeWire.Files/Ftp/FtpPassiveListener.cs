using System.Net;
using System.Net.Sockets;

namespace SafeWire.Files.Ftp;

/// <summary>
/// One passive data port (PASV/EPSV), for one transfer. It accepts only connections from the control
/// connection's client address (others are closed: no port stealing) and closes itself when its time is up.
/// </summary>
internal sealed class FtpPassiveListener : IDisposable
{
    private readonly Socket _socket;
    private readonly IPAddress _peer;
    private readonly CancellationTokenSource _expiry = new();

    private FtpPassiveListener(Socket socket, IPAddress peer, TimeSpan lifetime)
    {
        _socket = socket;
        _peer = peer;
        _expiry.CancelAfter(lifetime);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Binds a port on <paramref name="local"/> (from the range if given); null when the range is exhausted.</summary>
    public static FtpPassiveListener? Open(IPAddress local, IPAddress peer, (int Low, int High)? range, TimeSpan lifetime)
    {
        if (range is not { } ports)
        {
            return Bind(local, 0, peer, lifetime);
        }

        var count = ports.High - ports.Low + 1;
        var first = Random.Shared.Next(count);
        for (var i = 0; i < count; i++)
        {
            var listener = Bind(local, ports.Low + ((first + i) % count), peer, lifetime);
            if (listener is not null)
            {
                return listener;
            }
        }

        return null;
    }

    /// <summary>Waits for the client's data connection; throws TimeoutException after the listener expired.</summary>
    public async Task<Socket> AcceptAsync(Action<string>? log, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _expiry.Token);
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_expiry.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("No data connection arrived in time.");
            }

            var from = ((IPEndPoint)accepted.RemoteEndPoint!).Address;
            if (Normalize(from).Equals(Normalize(_peer)))
            {
                accepted.NoDelay = true;
                return accepted;
            }

            log?.Invoke($"refused a data connection from {from}: the control connection is from {_peer}");
            accepted.Dispose();
        }
    }

    public void Dispose()
    {
        _expiry.Dispose();
        _socket.Dispose();
    }

    private static FtpPassiveListener? Bind(IPAddress local, int port, IPAddress peer, TimeSpan lifetime)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(local, port));
            socket.Listen(4);
            return new FtpPassiveListener(socket, peer, lifetime);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
