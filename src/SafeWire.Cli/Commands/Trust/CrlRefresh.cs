using SafeWire.Enrollment;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>
/// Revocation reaching clients: before a client verb connects to a server this home joined, the CRL copy of the CA
/// joined for it is fetched again from that server (its join path answers "crl" requests) when it is older than
/// <see cref="TrustedServers.CrlMaxAge"/> or past its next-update time. The list must be signed by that CA and not
/// older than the copy held. When the server cannot be asked, the verb goes on with the copy it has and says so.
/// </summary>
internal static class CrlRefresh
{
    /// <summary>Refreshes the CRL for <paramref name="host"/> when it is stale; a host that was not joined is left alone.</summary>
    public static async Task RefreshIfStaleAsync(SafeWireHome home, string host, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(home);
        var trusted = new TrustedServers(home);
        if (trusted.Lookup(host) is not { } binding || !File.Exists(binding.CaCertificatePath) || !trusted.IsCrlStale(binding))
        {
            return;
        }

        try
        {
            using var ca = CertificateFile.Read(binding.CaCertificatePath);
            var crl = await EnrollmentClient.FetchCrlAsync(host, port, ca, home.Time, cancellationToken).ConfigureAwait(false);
            trusted.StoreCrl(binding, crl);
        }
        catch (Exception e) when (e is JoinException or TrustException or IdentityFileException or IOException)
        {
            var held = File.Exists(binding.CrlPath) ? $"the copy from {File.GetLastWriteTimeUtc(binding.CrlPath):yyyy-MM-dd HH:mm} UTC" : "no copy";
            CliConsole.Error.WriteLine($"safewire: warning: could not refresh the revocation list of the CA joined for {host} ({e.Message.TrimEnd('.')}); going on with {held}");
        }
    }
}
