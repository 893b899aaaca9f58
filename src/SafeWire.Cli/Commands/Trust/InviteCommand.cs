using System.CommandLine;
using System.Globalization;
using System.Net;
using SafeWire.Cli.Commands.Serve;
using SafeWire.Enrollment;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>
/// <c>safewire invite NAME</c>: a one-time code for another machine. Only a one-way image of its secret is kept
/// (in ca/invitations.jsonl); the code itself goes to standard output, as its last line.
/// </summary>
internal static class InviteCommand
{
    public static int Run(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var name = parse.GetRequiredValue(TrustCommandDefinitions.InviteName);
        try
        {
            SafeWireHome.CheckName(name);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }

        var server = parse.GetValue(TrustCommandDefinitions.Server);
        if (server && parse.GetValue(TrustCommandDefinitions.Client))
        {
            throw new CliException("choose one of --client and --server");
        }

        var dns = parse.GetValue(TrustCommandDefinitions.Dns) ?? [];
        var ips = parse.GetValue(TrustCommandDefinitions.Ip) ?? [];
        if (!server && (dns.Length > 0 || ips.Length > 0))
        {
            throw new CliException("--dns and --ip name a server machine: add --server");
        }

        foreach (var ip in ips)
        {
            if (!IPAddress.TryParse(ip, out _))
            {
                throw new CliException($"--ip {ip}: not an IP address");
            }
        }

        var lifetime = ParseDuration(parse.GetRequiredValue(TrustCommandDefinitions.Expires));
        var address = parse.GetValue(TrustCommandDefinitions.ServerAddress) is { } typed
            ? HostPort.Parse(typed, "--server-address", ServeCommandDefinition.DefaultPort)
            : new HostPort(ServerNames.PrimaryAddress().ToString(), ServeCommandDefinition.DefaultPort);
        // The code pins the CA's public key; its private key (perhaps encrypted) is needed only by the server that issues.
        if (!home.HasCa)
        {
            home.LoadOrCreateCa().Dispose();
        }

        string caFingerprint;
        using (var caCertificate = CertificateFile.Read(home.CaCertificatePath))
        {
            caFingerprint = Fingerprint.Of(caCertificate.PublicKey.ExportSubjectPublicKeyInfo());
        }

        var now = home.Time.GetUtcNow();
        var code = new InvitationStore(EnrollmentServer.InvitationsPath(home)).Create(
            name, server ? PeerRole.Server : PeerRole.Client, server && dns.Length == 0 ? [name] : dns, ips,
            address.Host, address.Port, caFingerprint, now, lifetime);
        var text = code.ToString();
        CliConsole.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Invitation for {name} ({(server ? "server" : "client")}), works once, until {(now + lifetime).UtcDateTime:yyyy-MM-dd HH:mm} UTC; it joins through {code.Address} (any SafeWire server of this home on that port)."));
        CliConsole.Error.WriteLine("On the other machine, run:");
        CliConsole.Error.WriteLine("  safewire join " + text);
        CliConsole.Out.WriteLine(text);
        return 0;
    }

    /// <summary>30s, 45m, 1h, 2d; a bare number is seconds.</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        var trimmed = text.Trim();
        var unit = trimmed.Length > 0 && char.IsAsciiLetter(trimmed[^1]) ? char.ToLowerInvariant(trimmed[^1]) : 's';
        var number = char.IsAsciiLetter(trimmed.LastOrDefault()) ? trimmed[..^1] : trimmed;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new CliException($"--expires {text}: expected a duration such as 30m, 1h or 2d");
        }

        var span = unit switch
        {
            's' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            'd' => TimeSpan.FromDays(value),
            _ => throw new CliException($"--expires {text}: expected a duration such as 30m, 1h or 2d"),
        };
        return span > TimeSpan.FromDays(30) ? throw new CliException($"--expires {text}: at most 30 days") : span;
    }
}
