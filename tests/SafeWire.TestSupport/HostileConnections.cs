using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SafeWire.TestSupport;

/// <summary>
/// Stalled connections against a server under test on 127.0.0.1, opened from other loopback source addresses
/// (127.x.y.z, as many per address as asked) so that the test's real client, on 127.0.0.1, is a different peer.
/// Disposing closes them all.
/// </summary>
public sealed class HostileConnections : IDisposable
{
    private readonly List<Socket> _sockets = [];

    private HostileConnections()
    {
    }

    /// <summary>How many were opened (may be fewer than asked: see <see cref="Budget"/>).</summary>
    public int Count => _sockets.Count;

    /// <summary>
    /// Opens <paramref name="count"/> connections to 127.0.0.1:<paramref name="port"/> from source addresses
    /// 127.<paramref name="subnet"/>.x.y, <paramref name="perAddress"/> each; each sends <paramref name="prefix"/>
    /// (nothing, or a few bytes of a handshake) and then stalls.
    /// </summary>
    public static async Task<HostileConnections> OpenAsync(int port, int count, int perAddress, byte subnet, ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken)
    {
        var hostile = new HostileConnections();
        try
        {
            for (int i = 0; i < count; i++)
            {
                int address = (i / perAddress) + 1;
                var source = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"127.{subnet}.{address / 250}.{(address % 250) + 1}"));
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                hostile._sockets.Add(socket);
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                if (!prefix.IsEmpty)
                {
                    try
                    {
                        await socket.SendAsync(prefix, cancellationToken);
                    }
                    catch (SocketException)
                    {
                        // Refused and closed by the server already: it still counts as an attempt.
                    }
                }
            }

            return hostile;
        }
        catch
        {
            hostile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="wanted"/> connections, or fewer when this process's open-file limit could not hold them on both
    /// ends (client and in-process server) with room to spare. The .NET runtime raises the soft limit to the hard
    /// limit at start-up, so only a hard limit below ~2,600 (`ulimit -Hn`) scales a 1,000-socket flood down.
    /// </summary>
    public static int Budget(int wanted)
    {
        var limit = OpenFileLimit();
        return limit is { } l ? Math.Min(wanted, Math.Max(0, (int)((l - 512) / 2))) : wanted;
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
    }

    private static long? OpenFileLimit()
    {
        const string limits = "/proc/self/limits";
        if (!File.Exists(limits))
        {
            return null;
        }

        foreach (var line in File.ReadLines(limits))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var soft) ? soft : null;
            }
        }

        return null;
    }
}
