using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Cert;

internal static class CertCommand
{
    public static int Issue(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var name = SafeWireHome.CheckName(parse.GetRequiredValue(CertCommandDefinition.IssueName));
        var role = parse.GetValue(CertCommandDefinition.Server) ? PeerRole.Server : PeerRole.Client;
        var dns = parse.GetValue(CertCommandDefinition.Dns) ?? [];
        var ips = (parse.GetValue(CertCommandDefinition.Ip) ?? []).Select(ParseIp).ToList();
        if (role == PeerRole.Server && dns.Length == 0 && ips.Count == 0)
        {
            dns = [name];
        }

        var days = parse.GetValue(CertCommandDefinition.Days);
        if (days < 1)
        {
            throw new CliException("--days must be at least 1");
        }

        var outDirectory = parse.GetValue(CertCommandDefinition.Out)?.FullName ?? home.CertsDirectory;
        var certificatePath = Path.Combine(outDirectory, name + ".crt");
        var keyPath = Path.Combine(outDirectory, name + ".key");
        var csr = parse.GetValue(CertCommandDefinition.Csr);
        var force = parse.GetValue(CertCommandDefinition.Force);
        foreach (var path in csr is null ? [certificatePath, keyPath] : new[] { certificatePath })
        {
            if (File.Exists(path) && !force)
            {
                throw new CliException($"{path} already exists; use --force to replace it");
            }
        }

        var request = new LeafRequest(name, role) { DnsNames = dns, IpAddresses = ips, Days = days };
        var caPassword = CertCommandDefinition.CaPassword.Read(parse, confirm: false);
        var keyPassword = csr is null ? CertCommandDefinition.KeyPassword.Read(parse, confirm: true) : [];
        try
        {
            if (!home.HasCa)
            {
                throw new CliException($"no CA in {home.CaDirectory}; run: safewire ca init");
            }

            using var ca = CertificateAuthority.Load(home.CaDirectory, caPassword);
            X509Certificate2 certificate;
            if (csr is not null)
            {
                if (!csr.Exists)
                {
                    throw new CliException($"{csr.FullName}: no such CSR file");
                }

                certificate = ca.SignRequest(File.ReadAllText(csr.FullName), request, DateTimeOffset.UtcNow, csr.FullName);
            }
            else
            {
                using var key = KeyFile.Generate(parse.GetValue(CertCommandDefinition.Rsa) ? KeyAlgorithm.Rsa3072 : KeyAlgorithm.EcdsaP256);
                certificate = ca.Issue(request, key, DateTimeOffset.UtcNow);
                KeyFile.WritePrivateKey(keyPath, key, keyPassword);
            }

            using (certificate)
            {
                CertificateFile.Write(certificatePath, certificate);
                File.Delete(certificatePath + ".auto"); // issued by hand now: servers keep it as it is
                CliConsole.Out.WriteLine($"issued {(role == PeerRole.Server ? "server" : "client")} certificate \"{name}\" (serial {certificate.SerialNumber}, valid until {certificate.NotAfter.ToUniversalTime():u})");
                CliConsole.Out.WriteLine($"  certificate: {certificatePath}");
                if (csr is null)
                {
                    CliConsole.Out.WriteLine($"  private key: {keyPath}{(keyPassword.Length > 0 ? " (encrypted)" : "")}");
                }

                CliConsole.Out.WriteLine($"  fingerprint: {Fingerprint.Of(certificate.PublicKey.ExportSubjectPublicKeyInfo())}");
            }

            return 0;
        }
        finally
        {
            caPassword.AsSpan().Clear();
            keyPassword.AsSpan().Clear();
        }
    }

    public static int Show(ParseResult parse)
    {
        var target = parse.GetRequiredValue(CertCommandDefinition.ShowFile);
        var path = target;
        if (!File.Exists(target) && !target.Contains('/', StringComparison.Ordinal) && !target.Contains('.', StringComparison.Ordinal))
        {
            var home = HomeOption.Resolve(parse);
            path = home.CertificatePath(SafeWireHome.CheckName(target));
            if (!File.Exists(path))
            {
                throw new CliException($"no certificate named \"{target}\" in {home.CertsDirectory}, and no file {target}; issue one with: safewire cert issue {target} --client");
            }
        }

        using var certificate = CertificateFile.Read(Path.GetFullPath(path));
        var key = KeyFile.Describe(Path.GetFullPath(path), certificate.PublicKey.ExportSubjectPublicKeyInfo(), "certificate");
        var table = new Table().AddColumns("", "").HideHeaders();
        table.AddRow("subject", Markup.Escape(certificate.Subject));
        table.AddRow("issuer", Markup.Escape(certificate.Issuer));
        table.AddRow("serial", certificate.SerialNumber);
        table.AddRow("valid from", certificate.NotBefore.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("valid until", certificate.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("names (SAN)", Markup.Escape(string.Join(", ", CaVerifier.SubjectAltNames(certificate).DefaultIfEmpty("-"))));
        table.AddRow("CA", certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority) ? "yes" : "no");
        table.AddRow("key usage", certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault()?.KeyUsages.ToString() ?? "-");
        table.AddRow("extended usage", Markup.Escape(string.Join(", ", certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.FriendlyName ?? o.Value).DefaultIfEmpty("-"))));
        table.AddRow("key", $"{key.Algorithm} ({key.KeySize} bits)");
        table.AddRow("fingerprint", key.Fingerprint);
        CliConsole.Console.Write(table);
        return 0;
    }

    public static int Verify(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var file = parse.GetRequiredValue(CertCommandDefinition.VerifyFile);
        var chain = CertificateFile.ReadAll(file.FullName);
        try
        {
            if (!home.HasCa)
            {
                throw new CliException($"no CA in {home.CaDirectory}; run: safewire ca init");
            }

            var role = parse.GetValue(CertCommandDefinition.VerifyRole) switch
            {
                "server" => PeerRole.Server,
                "client" => PeerRole.Client,
                _ => chain[0].Extensions.OfType<X509EnhancedKeyUsageExtension>()
                    .Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == "1.3.6.1.5.5.7.3.1")) ? PeerRole.Server : PeerRole.Client,
            };
            var verifier = CaVerifier.FromFiles(home.CaCertificatePath, home.CrlPath);
            var credential = PeerCredential.FromCertificateChain(chain.Select(c => c.RawData).ToList());
            var identity = verifier.Verify(credential, new PeerVerificationContext(role, parse.GetValue(CertCommandDefinition.VerifyName), DateTimeOffset.UtcNow));
            identity.Certificate?.Dispose();
            CliConsole.Out.WriteLine($"OK: \"{identity.Name}\" is a valid {(role == PeerRole.Server ? "server" : "client")} certificate from {chain[0].Issuer} (not revoked), key {identity.Fingerprint}");
            return 0;
        }
        finally
        {
            foreach (var certificate in chain)
            {
                certificate.Dispose();
            }
        }
    }

    public static int Revoke(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var target = parse.GetRequiredValue(CertCommandDefinition.RevokeTarget);
        if (!home.HasCa)
        {
            throw new CliException($"no CA in {home.CaDirectory}; run: safewire ca init");
        }

        var password = CertCommandDefinition.RevokePassword.Read(parse, confirm: false);
        try
        {
            using var ca = CertificateAuthority.Load(home.CaDirectory, password);
            string serial;
            string what;
            if (File.Exists(target))
            {
                using var certificate = CertificateFile.Read(target);
                if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(ca.Certificate.SubjectName.RawData))
                {
                    throw new CliException($"{target} was issued by {certificate.Issuer}, not by this CA ({ca.Certificate.Subject})");
                }

                (serial, what) = (certificate.SerialNumber, $"\"{certificate.GetNameInfo(X509NameType.SimpleName, false)}\" (serial {certificate.SerialNumber})");
            }
            else if (target.Contains('/', StringComparison.Ordinal) || target.EndsWith(".crt", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".pem", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException($"{target}: no such certificate file");
            }
            else
            {
                serial = Convert.ToHexString(CertificateAuthority.ParseSerial(target));
                what = "serial " + serial;
                if (!parse.GetValue(CertCommandDefinition.RevokeForce) && !IssuedHere(home, ca, serial))
                {
                    throw new CliException($"no certificate with serial {serial} from this CA is in {home.CertsDirectory} (or among the certificates joins issued); check the serial (safewire cert show NAME), give the certificate file, or add --force to revoke it anyway");
                }
            }

            var added = ca.Revoke(serial, DateTimeOffset.UtcNow);
            var crl = ca.ReadCrl();
            CliConsole.Out.WriteLine(added ? $"revoked {what}" : $"{what} was already revoked");
            CliConsole.Out.WriteLine($"  CRL: {home.CrlPath} (number {crl.CrlNumber}, {crl.RevokedSerials.Count} revoked)");
            if (SafeWire.Enrollment.EnrollmentServer.RemoveRevokedFromAllowList(home, serial, home.AllowListPath) is { } joined)
            {
                CliConsole.Out.WriteLine($"  removed the key of {joined} (it joined with a code) from {home.AllowListPath}");
            }
            return 0;
        }
        catch (ArgumentException e) when (e.ParamName == "serialHex")
        {
            throw new CliException($"{target}: no such certificate file, and not a serial number");
        }
        finally
        {
            password.AsSpan().Clear();
        }
    }

    /// <summary>True when a certificate in the home's certs folder, issued by this CA, has <paramref name="serialHex"/>.</summary>
    /// <summary>Whether this CA issued <paramref name="serialHex"/>: a certificate in certs/, or one a join issued (ca/issued/).</summary>
    private static bool IssuedHere(SafeWireHome home, CertificateAuthority ca, string serialHex)
    {
        var files = new[] { home.CertsDirectory, Path.Combine(home.CaDirectory, "issued") }
            .Where(Directory.Exists)
            .SelectMany(directory => Directory.EnumerateFiles(directory, "*.crt"));
        foreach (var file in files)
        {
            try
            {
                using var certificate = CertificateFile.Read(file);
                if (string.Equals(certificate.SerialNumber, serialHex, StringComparison.OrdinalIgnoreCase)
                    && certificate.IssuerName.RawData.AsSpan().SequenceEqual(ca.Certificate.SubjectName.RawData))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IdentityFileException or IOException or CryptographicException)
            {
                // Not a readable certificate: it cannot be the one asked for.
            }
        }

        return false;
    }

    private static IPAddress ParseIp(string text) =>
        IPAddress.TryParse(text, out var address) ? address : throw new CliException($"--ip {text}: not an IP address");
}
