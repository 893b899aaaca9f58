using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Files.Ftp;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Ftp;

/// <summary><c>safewire ftp serve</c>: runs the FTP server until Ctrl+C.</summary>
internal static class FtpServeCommand
{
    /// <summary>The home credential the server uses when no --cert is given: certs/ftp.crt.</summary>
    public const string CredentialName = "ftp";

    public static async Task<int> RunAsync(ParseResult parseResult, TextWriter output, CancellationToken cancellationToken)
    {
        if (parseResult.GetValue(FtpCommandDefinition.Tls12) && parseResult.GetValue(FtpCommandDefinition.Tls13))
        {
            throw new CliException("choose one of --tls12 and --tls13");
        }

        var root = parseResult.GetRequiredValue(FtpCommandDefinition.Root);
        if (!root.Exists)
        {
            throw new CliException($"{root.FullName}: no such directory");
        }

        var hostText = parseResult.GetRequiredValue(FtpCommandDefinition.Host);
        if (!IPAddress.TryParse(hostText, out var host))
        {
            throw new CliException($"--host {hostText}: not an IP address");
        }

        var passivePorts = ParseRange(parseResult.GetValue(FtpCommandDefinition.PassivePorts));
        var usersFile = parseResult.GetValue(FtpCommandDefinition.Users);
        FtpUserStore? users;
        try
        {
            users = usersFile is null ? null : FtpUserStore.Load(usersFile.FullName);
        }
        catch (FtpUserFileException e)
        {
            throw new CliException(e.Message);
        }

        using var certificate = LoadCertificate(parseResult, host, out var chain, out var trustHint);
        var options = new FtpServerOptions
        {
            Root = root.FullName,
            Host = host,
            Port = parseResult.GetValue(FtpCommandDefinition.Port),
            ImplicitPort = parseResult.GetValue(FtpCommandDefinition.ImplicitPort),
            Certificate = certificate,
            CertificateChain = chain,
            TlsProtocols = parseResult.GetValue(FtpCommandDefinition.Tls13) ? SslProtocols.Tls12 | SslProtocols.Tls13 : SslProtocols.Tls12,
            AllowPlain = parseResult.GetValue(FtpCommandDefinition.AllowPlain),
            RequireTlsSessionReuse = !parseResult.GetValue(FtpCommandDefinition.NoRequireTlsReuse),
            PartialMaxAge = PartialMaxAgeOption.Hours(parseResult.GetValue(FtpCommandDefinition.PartialMaxAge)),
            Users = users,
            PassivePorts = passivePorts,
            Log = line => output.WriteLine(DateTime.Now.ToString("HH:mm:ss ", CultureInfo.InvariantCulture) + line),
        };

        var server = new FtpServer(options);
        await using (server.ConfigureAwait(false))
        {
            try
            {
                server.Start();
            }
            catch (SocketException e)
            {
                throw new CliException($"cannot listen on {host}: {e.Message}");
            }

            output.WriteLine($"FTPS (explicit, AUTH TLS) listening on {server.ExplicitEndPoint}");
            if (server.ImplicitEndPoint is not null)
            {
                output.WriteLine($"FTPS (implicit, ftps://) listening on {server.ImplicitEndPoint}");
            }

            output.WriteLine($"Serving {root.FullName}");
            output.WriteLine(users is null
                ? "Logins: anonymous, read-only (add users with: safewire ftp user add NAME --users FILE)"
                : $"Logins: {users.Count} user(s) from {usersFile!.FullName}");
            output.WriteLine($"TLS: {(options.TlsProtocols.HasFlag(SslProtocols.Tls13) ? "1.2 and 1.3" : "1.2 only")}; plain FTP {(options.AllowPlain ? "allowed" : "refused")}");
            output.WriteLine($"Certificate: {certificate.Subject}, SHA-256 {certificate.GetCertHashString(HashAlgorithmName.SHA256)}");
            output.WriteLine($"Key fingerprint: {Fingerprint.Of(certificate.PublicKey.ExportSubjectPublicKeyInfo())}");
            if (trustHint is not null)
            {
                output.WriteLine(trustHint);
            }

            output.WriteLine("Press Ctrl+C to stop.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                output.WriteLine("Stopping.");
            }
        }

        foreach (var extra in chain)
        {
            extra.Dispose();
        }

        return 0;
    }

    /// <summary>
    /// --cert/--key PEM files (further certificates in the cert file are sent as the chain), or else the home's
    /// server credential certs/ftp.crt issued by the home CA, created on first use and reused after.
    /// </summary>
    private static X509Certificate2 LoadCertificate(ParseResult parseResult, IPAddress host, out IReadOnlyList<X509Certificate2> chain, out string? trustHint)
    {
        var certificateFile = parseResult.GetValue(FtpCommandDefinition.Certificate);
        var keyFile = parseResult.GetValue(FtpCommandDefinition.Key);
        if (certificateFile is not null || keyFile is not null)
        {
            if (certificateFile is null || keyFile is null)
            {
                throw new CliException("--cert and --key go together");
            }

            if (parseResult.GetValue(Trust.ServerNames.DnsOption) is { Length: > 0 })
            {
                throw new CliException("--dns names the certificate SafeWire issues itself; with --cert, put the names in that certificate");
            }

            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(certificateFile.FullName);
            chain = all.Skip(1).ToList();
            trustHint = null;
            return X509Certificate2.CreateFromPemFile(certificateFile.FullName, keyFile.FullName);
        }

        var home = HomeOption.Resolve(parseResult);
        var (issued, _) = Trust.ServerCredentials.Load(
            home, parseResult, Trust.TrustCommandDefinitions.FtpServeCaPassword, CredentialName, Trust.ServerNames.DnsNames(parseResult), host, m => new CliException(m));
        using var credential = issued;
        using var ca = X509CertificateLoader.LoadCertificateFromFile(home.CaCertificatePath);
        chain = [X509CertificateLoader.LoadCertificate(ca.RawData)];
        trustHint = $"Clients trust the home CA: curl --cacert {home.CaCertificatePath}; lftp: set ssl:ca-file {home.CaCertificatePath}";
        return credential.Key switch
        {
            ECDsa ecdsa => credential.Certificate!.CopyWithPrivateKey(ecdsa),
            RSA rsa => credential.Certificate!.CopyWithPrivateKey(rsa),
            _ => throw new CliException("the home server key is neither ECDSA nor RSA"),
        };
    }

    private static (int Low, int High)? ParseRange(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split('-');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var low)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var high)
            && low is >= 1 and <= 65535 && high >= low && high <= 65535)
        {
            return (low, high);
        }

        throw new CliException($"--pasv-ports {text}: not a range LOW-HIGH of ports (1-65535)");
    }
}
