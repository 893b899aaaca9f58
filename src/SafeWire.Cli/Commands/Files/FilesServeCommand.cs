using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SafeWire.Enrollment;
using SafeWire.Files.Transfer;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Cli.Commands.Files;

/// <summary><c>safewire files serve</c>: serves a directory until Ctrl+C.</summary>
internal static class FilesServeCommand
{
    public const string CredentialName = "files";

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var root = parse.GetRequiredValue(FilesCommandDefinition.Root);
        if (!root.Exists)
        {
            throw new CliException($"{root.FullName}: no such directory");
        }

        var hostText = parse.GetRequiredValue(FilesCommandDefinition.Host);
        if (!IPAddress.TryParse(hostText, out var host))
        {
            throw new CliException($"--host {hostText}: not an IP address");
        }

        var home = HomeOption.Resolve(parse);
        var allowPath = parse.GetValue(FilesCommandDefinition.Allow)?.FullName ?? home.AllowListPath;
        var readOnly = parse.GetValue(FilesCommandDefinition.ReadOnly);
        var (issued, caPassword) = Trust.ServerCredentials.Load(
            home, parse, Trust.TrustCommandDefinitions.FilesServeCaPassword, CredentialName, Trust.ServerNames.DnsNames(parse), host, m => new CliException(m));

        using var credential = issued;
        var output = CliConsole.Out;
        var options = new FileServerOptions
        {
            Root = root.FullName,
            ReadOnly = readOnly,
            PartialMaxAge = Ftp.PartialMaxAgeOption.Hours(parse.GetValue(FilesCommandDefinition.PartialMaxAge)),
            PartialQuota = PartialQuotaBytes(parse.GetValue(FilesCommandDefinition.PartialQuota)),
            Log = line => output.WriteLine(DateTime.Now.ToString("HH:mm:ss ", CultureInfo.InvariantCulture) + line),
        };
        using var enrollment = new EnrollmentServer(home, new EnrollmentServerOptions { AllowListPath = allowPath, CaPassword = caPassword });
        enrollment.Completed += e => options.Log?.Invoke(e.Message);
        var secure = new SecureServerOptions
        {
            ServerCredential = credential,
            ClientVerifier = EnrollmentServer.Gate(new AllowListVerifier(allowPath)),
            RequireClientCredential = true,
            JoinHandler = enrollment.HandleAsync,
            CipherSuites = SuiteOption.Get(parse, SuiteOption.Server),
        };

        FileServerHost server;
        try
        {
            server = new FileServerHost(options, secure, new IPEndPoint(host, parse.GetValue(FilesCommandDefinition.Port)));
            server.Start();
        }
        catch (SocketException e)
        {
            throw new CliException($"cannot listen on {host}: {e.Message}");
        }

        await using (server.ConfigureAwait(false))
        {
            output.WriteLine($"SafeWire files listening on {server.EndPoint}");
            output.WriteLine($"Serving {root.FullName}{(readOnly ? " (read-only)" : "")}");
            output.WriteLine($"Allowed clients: {allowPath} (add one with: safewire invite NAME, or safewire allow add FINGERPRINT --name NAME)");
            output.WriteLine($"Server key fingerprint: {credential.Fingerprint}");
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

        return 0;
    }

    private static long? PartialQuotaBytes(long? mebibytes) => mebibytes switch
    {
        null => null,
        > 0 and <= long.MaxValue / (1024 * 1024) => mebibytes.Value * 1024 * 1024,
        _ => throw new CliException($"--partial-quota {mebibytes}: give a number of mebibytes above 0 (for example 4096 for 4 GiB)."),
    };
}
