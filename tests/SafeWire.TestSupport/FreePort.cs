using System.Net;
using System.Net.Sockets;

namespace SafeWire.TestSupport;

/// <summary>Free TCP ports on 127.0.0.1 for servers under test.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
