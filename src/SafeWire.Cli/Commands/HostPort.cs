using System.Globalization;

namespace SafeWire.Cli.Commands;

/// <summary>
/// A server address as typed on the command line: HOST:PORT or [IPv6]:PORT, and HOST or [IPv6] alone where the verb
/// has a default port. One parser for every verb, so they all accept the same spellings.
/// </summary>
internal readonly record struct HostPort(string Host, int Port)
{
    /// <summary>Parses <paramref name="text"/>; false if it is not an address of the accepted forms.</summary>
    public static bool TryParse(string text, int? defaultPort, out HostPort result)
    {
        ArgumentNullException.ThrowIfNull(text);
        result = default;
        string host;
        string? portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                return false;
            }

            host = text[1..close];
            portText = close + 1 < text.Length ? text[(close + 2)..] : null;
        }
        else
        {
            // An unbracketed IPv6 address is ambiguous with HOST:PORT: it must be written [addr]:port.
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && text.IndexOf(':', colon + 1) >= 0)
            {
                return false;
            }

            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? null : text[(colon + 1)..];
        }

        int port;
        if (portText is null)
        {
            if (defaultPort is not { } fallback)
            {
                return false;
            }

            port = fallback;
        }
        else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        if (host.Length == 0)
        {
            return false;
        }

        result = new HostPort(host, port);
        return true;
    }

    /// <summary>Parses <paramref name="text"/> or throws a one-line <see cref="CliException"/> naming <paramref name="what"/>.</summary>
    public static HostPort Parse(string text, string what, int? defaultPort = null) =>
        TryParse(text, defaultPort, out var result)
            ? result
            : throw new CliException($"{what} \"{text}\" is not HOST:PORT (e.g. 127.0.0.1:{defaultPort ?? 7000}; IPv6 as [::1]:PORT)");

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
