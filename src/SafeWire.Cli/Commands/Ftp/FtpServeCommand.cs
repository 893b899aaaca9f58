using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Files.Ftp;

namespace SafeWire.Cli.Commands.Ftp;

/// <summary><c>safewire ftp serve</c>: runs the FTP server until Ctrl+C.</summary>
internal static class FtpServeCommand
{
    public static async Task<int> RunAsync(ParseResult parseResult, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (parseResult.GetValue(FtpCommandDefinition.Tls12) && parseResult.GetValue(FtpCommandDefinition.Tls13))
        {
            error.WriteLine("error: choose one of --tls12 and --tls13.");
            return 2;
        }

        FtpServerOptions options;
        try
        {
            options = BuildOptions(parseResult, output);
        }
        catch (Exception e) when (e is FormatException or FtpUserFileException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine("error: " + e.Message);
            return 2;
        }

        using var certificate = options.Certificate;
        try
        {
            var server = new FtpServer(options);
            await using (server.ConfigureAwait(false))
            {
                server.Start();
                output.WriteLine($"FTPS (explicit, AUTH TLS) listening on {server.ExplicitEndPoint}");
                if (server.ImplicitEndPoint is not null)
                {
                    output.WriteLine($"FTPS (implicit, ftps://) listening on {server.ImplicitEndPoint}");
                }

                output.WriteLine($"Serving {Path.GetFullPath(options.Root)}");
                output.WriteLine(options.Users is null
                    ? "Logins: anonymous, read-only (add users with: safewire ftp user add NAME --users FILE)"
                    : $"Logins: {options.Users.Count} user(s) from the users file");
                output.WriteLine($"TLS: {(options.TlsProtocols.HasFlag(SslProtocols.Tls13) ? "1.2 and 1.3" : "1.2 only")}; plain FTP {(options.AllowPlain ? "allowed" : "refused")}");
                output.WriteLine($"Certificate: {certificate!.Subject}, SHA-256 {certificate.GetCertHashString(HashAlgorithmName.SHA256)}");
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
        }
        catch (SocketException e)
        {
            error.WriteLine($"error: cannot listen: {e.Message}");
            return 1;
        }

        return 0;
    }

    private static FtpServerOptions BuildOptions(ParseResult parseResult, TextWriter output)
    {
        var root = parseResult.GetRequiredValue(FtpCommandDefinition.Root);
        if (!root.Exists)
        {
            throw new IOException($"the root directory {root.FullName} does not exist.");
        }

        var hostText = parseResult.GetRequiredValue(FtpCommandDefinition.Host);
        if (!IPAddress.TryParse(hostText, out var host))
        {
            throw new FormatException($"--host {hostText} is not an IP address.");
        }

        var certificate = LoadCertificate(parseResult.GetRequiredValue(FtpCommandDefinition.Certificate), parseResult.GetRequiredValue(FtpCommandDefinition.Key), out var chain);
        var usersFile = parseResult.GetValue(FtpCommandDefinition.Users);
        return new FtpServerOptions
        {
            Root = root.FullName,
            Host = host,
            Port = parseResult.GetValue(FtpCommandDefinition.Port),
            ImplicitPort = parseResult.GetValue(FtpCommandDefinition.ImplicitPort),
            Certificate = certificate,
            CertificateChain = chain,
            TlsProtocols = parseResult.GetValue(FtpCommandDefinition.Tls13) ? SslProtocols.Tls12 | SslProtocols.Tls13 : SslProtocols.Tls12,
            AllowPlain = parseResult.GetValue(FtpCommandDefinition.AllowPlain),
            Users = usersFile is null ? null : FtpUserStore.Load(usersFile.FullName),
            PassivePorts = ParseRange(parseResult.GetValue(FtpCommandDefinition.PassivePorts)),
            Log = line => output.WriteLine(DateTime.Now.ToString("HH:mm:ss ", CultureInfo.InvariantCulture) + line),
        };
    }

    /// <summary>The leaf with its key from PEM files; any further certificates in the cert file are sent as the chain.</summary>
    private static X509Certificate2 LoadCertificate(FileInfo certificateFile, FileInfo keyFile, out IReadOnlyList<X509Certificate2> chain)
    {
        var certificate = X509Certificate2.CreateFromPemFile(certificateFile.FullName, keyFile.FullName);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certificateFile.FullName);
        chain = all.Skip(1).ToList();
        return certificate;
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

        throw new FormatException($"--pasv-ports {text} is not a range LOW-HIGH of ports (1-65535).");
    }
}
