using System.CommandLine;
using System.Globalization;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Trust;

/// <summary><c>safewire id</c>: the key every verb presents, the names it is known by, and each certificate held for it.</summary>
internal static class IdCommand
{
    public static int Run(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var identity = HomeIdentity.Open(home, parse.GetValue(TrustCommandDefinitions.As));
        var fingerprint = identity.Fingerprint();
        var held = identity.Certificates();
        try
        {
            var names = held.Select(h => HomeIdentity.CommonName(h.Certificate)).Distinct(StringComparer.Ordinal).ToList();
            CliConsole.Out.WriteLine($"identity {identity.Name}: {fingerprint}");
            CliConsole.Out.WriteLine($"key      {identity.KeyPath}");
            CliConsole.Out.WriteLine("names    " + (names.Count == 0 ? "(none yet: a certificate is made on first use, or by safewire join)" : string.Join(", ", names)));
            foreach (var h in held)
            {
                var issuer = h.Certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: true);
                CliConsole.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"cert     {HomeIdentity.CommonName(h.Certificate)} ({(h.Role == PeerRole.Server ? "server" : "client")}) issued by \"{issuer}\", expires {h.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}: {h.Path}"));
            }

            foreach (var binding in new TrustedServers(home).All())
            {
                using var ca = CertificateFile.Read(binding.CaCertificatePath);
                CliConsole.Out.WriteLine($"trusts   {binding.Host}: CA \"{HomeIdentity.CommonName(ca)}\" {Fingerprint.Of(ca.PublicKey.ExportSubjectPublicKeyInfo())} (joined)");
            }
        }
        finally
        {
            foreach (var h in held)
            {
                h.Certificate.Dispose();
            }
        }

        return 0;
    }
}
