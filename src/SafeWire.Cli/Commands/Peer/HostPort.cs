using System.Globalization;

namespace SafeWire.Cli.Commands.Peer;

/// <summary>HOST:PORT as typed on the command line ([v6]:port accepted).</summary>
internal readonly record struct HostPort(string Host, int Port)
{
    public static HostPort Parse(string text, string what)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new CliException($"{what} \"{text}\" is not HOST:PORT (e.g. 127.0.0.1:7000)");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return new HostPort(host, port);
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
