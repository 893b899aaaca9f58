using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using SafeWire.Enrollment;
using SafeWire.Identity;
using SafeWire.KeyDistribution;
using SafeWire.KeyDistribution.Manager;
using SafeWire.Transport;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Km;

/// <summary><c>safewire km serve</c>: the key manager on a SafeWire listener with client certificates from the home CA.</summary>
internal static class KmCommand
{
    public static async Task<int> ServeAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var home = HomeOption.Resolve(parse);
        var host = parse.GetValue(KmCommandDefinition.Host)!;
        var port = parse.GetValue(KmCommandDefinition.Port);
        var lifetime = parse.GetValue(KmCommandDefinition.KeyLifetime);
        if (!IPAddress.TryParse(host, out var address))
        {
            throw new CliException($"--host {host}: give an IP address to listen on (e.g. 127.0.0.1 or 0.0.0.0)");
        }

        if (port is < 0 or > 65535 || lifetime is < 1 or > 86_400)
        {
            throw new CliException("--port must be 0-65535 and --key-lifetime 1-86400 seconds");
        }

        var password = KmCommandDefinition.CaPassword.Read(parse, confirm: false);
        var caPassword = password.Length == 0 ? null : new string(password); // the join handler signs with the CA key
        LocalCredential credential;
        try
        {
            credential = home.LoadOrCreateServerCredential("km", Trust.ServerNames.DnsNames(parse), Trust.ServerNames.Addresses(address), password);
        }
        finally
        {
            password.AsSpan().Clear();
        }

        using var _ = credential;
        var verifier = home.CreateCaVerifier();
        var journalFile = parse.GetValue(KmCommandDefinition.Journal);
        using var journal = journalFile is null ? null : new KmJournal(journalFile.FullName);
        var console = CliConsole.Console;
        var log = new KmConsoleLog(console, TimeProvider.System);
        var server = new KeyManagerServer(new KeyManagerOptions
        {
            Log = log,
            KeyLifetime = TimeSpan.FromSeconds(lifetime),
            Journal = journal is null ? null : journal.For,
        });

        // Refusals and failed handshakes reach the console as at most one summary line per interval.
        var admission = new AdmissionOptions { Log = line => console.WriteLine(line) };
        using var enrollment = new EnrollmentServer(home, new EnrollmentServerOptions { CaPassword = caPassword });
        enrollment.Completed += e => console.WriteLine(e.Message);
        await using var listener = SecureKdChannels.CreateKeyManagerListener(new IPEndPoint(address, port), credential, EnrollmentServer.Gate(verifier), admission: admission, joinHandler: enrollment.HandleAsync,
            cipherSuites: SuiteOption.Get(parse, SuiteOption.Server));
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new CliException($"cannot listen on {host}:{port}: {e.Message}");
        }

        var bound = listener.LocalEndPoint;
        console.WriteLine($"Key manager listening on {bound.Address}:{bound.Port}");
        console.WriteLine($"  server key {credential.Fingerprint}, clients need a certificate from the CA in {home.Root}");
        console.WriteLine($"  transfer keys valid for {lifetime} s; Ctrl+C stops");
        await server.ServeAsync(ct => SecureKdChannels.AcceptKeyManagerClientAsync(listener, ct), cancellationToken);
        console.WriteLine("Key manager stopped.");
        return 0;
    }
}
