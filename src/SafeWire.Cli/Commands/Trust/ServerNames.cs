using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>The names a server's auto-issued certificate carries: the addresses it listens on and its host names.</summary>
internal static class ServerNames
{
    /// <summary>Loopback, plus <paramref name="bound"/>, or every interface address when bound to 0.0.0.0 / ::.</summary>
    public static List<IPAddress> Addresses(IPAddress bound)
    {
        var ips = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        var any = bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any);
        foreach (var ip in any ? InterfaceAddresses() : [bound])
        {
            if (!ips.Contains(ip))
            {
                ips.Add(ip);
            }
        }

        return ips;
    }

    /// <summary>localhost, the machine's host name, and <paramref name="extra"/>.</summary>
    public static List<string> DnsNames(params IEnumerable<string> extra)
    {
        var names = new List<string> { "localhost" };
        foreach (var name in extra.Append(Dns.GetHostName().ToLower(CultureInfo.InvariantCulture)))
        {
            if (!IPAddress.TryParse(name, out _) && !names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>The first up, non-loopback IPv4 address (what another machine would dial), else 127.0.0.1.</summary>
    public static IPAddress PrimaryAddress() =>
        InterfaceAddresses().FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? IPAddress.Loopback;

    private static List<IPAddress> InterfaceAddresses()
    {
        var list = new List<IPAddress>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up && nic.OperationalStatus != OperationalStatus.Unknown)
            {
                continue;
            }

            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                if (!IPAddress.IsLoopback(address) && !address.IsIPv6LinkLocal)
                {
                    list.Add(address);
                }
            }
        }

        return list;
    }
}
