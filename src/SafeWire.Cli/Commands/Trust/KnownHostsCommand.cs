using System.CommandLine;
using System.Globalization;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>
/// <c>safewire known-hosts list | forget HOST[:PORT]</c>: the servers this home trusts, by the key it saw first
/// (<c>known_hosts</c>) or by the CA it joined (<c>trusted/servers.txt</c>), and forgetting one after a legitimate change.
/// </summary>
internal static class KnownHostsCommand
{
    public static int List(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var pinned = new KnownHostsVerifier(home.KnownHostsPath).Entries();
        var joined = new TrustedServers(home).All();
        if (pinned.Count == 0 && joined.Count == 0)
        {
            Console.Out.WriteLine("no known hosts yet (a server is remembered the first time a client verb reaches it, or by safewire join)");
            return 0;
        }

        foreach (var entry in pinned)
        {
            var seen = entry.FirstSeen is { } when ? when.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC" : "unknown";
            Console.Out.WriteLine($"{entry.Host} {entry.Fingerprint} (key trusted on first use, {seen})");
        }

        foreach (var binding in joined)
        {
            string ca;
            if (File.Exists(binding.CaCertificatePath))
            {
                using var certificate = CertificateFile.Read(binding.CaCertificatePath);
                ca = $"CA \"{HomeIdentity.CommonName(certificate)}\" {Fingerprint.Of(certificate.PublicKey.ExportSubjectPublicKeyInfo())}";
            }
            else
            {
                ca = "CA file missing: " + binding.CaCertificatePath;
            }

            Console.Out.WriteLine($"{binding.Host} {ca} (joined: any port, certificates from this CA)");
        }

        return 0;
    }

    public static int Forget(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var target = parse.GetRequiredValue(TrustCommandDefinitions.KnownHost).Trim().ToLowerInvariant();
        if (target.Length == 0)
        {
            throw new CliException("name the host to forget: HOST or HOST:PORT");
        }

        var hostOnly = HostPort.TryParse(target, defaultPort: null, out var parsed) ? parsed.Host.ToLowerInvariant() : target;
        var withPort = !string.Equals(hostOnly, target, StringComparison.Ordinal);
        var pinned = new KnownHostsVerifier(home.KnownHostsPath);
        var forgotten = new List<string>();
        foreach (var entry in pinned.Entries())
        {
            var matches = withPort
                ? string.Equals(entry.Host, target, StringComparison.Ordinal)
                : string.Equals(entry.Host, hostOnly, StringComparison.Ordinal) || entry.Host.StartsWith(hostOnly + ":", StringComparison.Ordinal);
            if (matches && pinned.Forget(entry.Host))
            {
                forgotten.Add($"{entry.Host} {entry.Fingerprint}");
            }
        }

        var joined = new TrustedServers(home);
        if (joined.Lookup(hostOnly) is { } binding && joined.Forget(hostOnly))
        {
            forgotten.Add($"{binding.Host} (joined CA {binding.CaTag})");
        }

        if (forgotten.Count == 0)
        {
            throw new CliException($"{target} is not a known host of this home (see: safewire known-hosts list)");
        }

        foreach (var line in forgotten)
        {
            Console.Out.WriteLine("forgot " + line);
        }

        Console.Out.WriteLine("the next connection to it trusts the key it shows then, or join it again with a new code");
        return 0;
    }
}
