using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>The names a server's auto-issued certificate carries: the addresses it listens on and its host names.</summary>
internal static class ServerNames
{
    /// <summary>
    /// <c>--dns NAME</c> (repeatable) on every server verb that issues its own certificate: extra host names the
    /// certificate names, besides localhost, the machine's host name and the addresses the server listens on.
    /// </summary>
    public static readonly Option<string[]> DnsOption = CreateDnsOption();

    /// <summary>The names an auto-issued certificate carries: localhost, the host name, <paramref name="extra"/> and every <c>--dns</c>.</summary>
    public static List<string> DnsNames(ParseResult parse, params IEnumerable<string> extra)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return DnsNames(extra.Concat(parse.GetValue(DnsOption) ?? []));
    }

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

    /// <summary>Whether <paramref name="name"/> is a host name a certificate can carry: dot-separated labels of letters, digits and '-'.</summary>
    public static bool IsHostName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length is 0 or > 253 || IPAddress.TryParse(trimmed, out _))
        {
            return false;
        }

        foreach (var label in trimmed.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static Option<string[]> CreateDnsOption()
    {
        var option = new Option<string[]>("--dns")
        {
            Description = "A host name clients dial this server by, put in the certificate SafeWire issues for it (repeat for more names)",
            HelpName = "NAME",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!IsHostName(token.Value))
                {
                    result.AddError($"--dns {token.Value}: not a host name; give one like files.example.org (the addresses the server listens on are named already)");
                    return;
                }
            }
        });
        return option;
    }

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
