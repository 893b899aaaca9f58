using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Enrollment;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>
/// <c>safewire join CODE</c>: proves the code to the server it names (authenticated by the CA pin in the code),
/// and stores the certificate it issues for this home's identity key, the CA certificate and the CRL; from then on
/// every client verb trusts that CA for that host and presents that certificate there.
/// </summary>
internal static class JoinCommand
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        JoinCode code;
        try
        {
            code = JoinCode.Parse(parse.GetRequiredValue(TrustCommandDefinitions.Code));
        }
        catch (JoinCodeFormatException e)
        {
            throw new CliException(e.Message);
        }

        var home = HomeOption.Resolve(parse);
        var identity = HomeIdentity.Open(home, parse.GetValue(TrustCommandDefinitions.As));
        JoinResult result;
        using (var key = identity.LoadOrCreateKey())
        {
            try
            {
                result = await EnrollmentClient.JoinAsync(code, key, home.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (JoinException e)
            {
                throw new CliException("join failed: " + e.Message);
            }
        }

        using var ca = X509CertificateLoader.LoadCertificate(result.CaCertificate);
        using var certificate = X509CertificateLoader.LoadCertificate(result.Certificate);
        var path = identity.Store(certificate, result.Role, ca);
        new TrustedServers(home).Trust(code.Host, ca, result.Crl);
        var role = result.Role == PeerRole.Server ? "server" : "client";
        CliConsole.Out.WriteLine($"joined {code.Address} as {result.Name} ({role}); certificate {path}");
        CliConsole.Out.WriteLine($"this home now trusts the CA \"{HomeIdentity.CommonName(ca)}\" {Fingerprint.Of(ca.PublicKey.ExportSubjectPublicKeyInfo())} for {code.Host}");
        return 0;
    }
}
