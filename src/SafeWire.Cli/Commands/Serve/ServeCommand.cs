using System.CommandLine;
using System.Globalization;
using System.Net;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Server;
using SafeWire.Cli.Commands.Chat;
using SafeWire.Enrollment;
using SafeWire.Identity;
using SafeWire.Transport;
using Microsoft.Extensions.Logging;

namespace SafeWire.Cli.Commands.Serve;

/// <summary>
/// <c>safewire serve</c>: zero-config start (the home's CA and server certificate are created on first use),
/// prints the fingerprint and how clients trust it, shows every message, and runs the admin console on stdin.
/// </summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var home = HomeOption.Resolve(parse);
        var hostText = parse.GetValue(ServeCommandDefinition.HostArgument) ?? parse.GetValue(ServeCommandDefinition.Host)!;
        var port = parse.GetValue(ServeCommandDefinition.PortArgument) ?? parse.GetValue(ServeCommandDefinition.Port);
        var maxClients = parse.GetValue(ServeCommandDefinition.MaxClientsArgument) ?? parse.GetValue(ServeCommandDefinition.MaxClients);
        var allowFile = parse.GetValue(ServeCommandDefinition.Allow);
        var requireCert = parse.GetValue(ServeCommandDefinition.RequireClientCert);
        var name = parse.GetValue(ServeCommandDefinition.Name)!;
        if (allowFile is not null && requireCert)
        {
            throw new CliException("choose one of --allow FILE and --require-client-cert");
        }

        if (port is < 0 or > 65535 || maxClients < 1)
        {
            throw new CliException("PORT must be 0-65535 and MAX_CLIENTS at least 1");
        }

        PortRange? hop = null;
        if (parse.GetResult(ServeCommandDefinition.HopPorts) is not null)
        {
            var range = parse.GetValue(ServeCommandDefinition.HopPorts);
            try
            {
                hop = range is null ? PortRange.Dynamic : PortRange.Parse(range);
            }
            catch (FormatException e)
            {
                throw new CliException("--hop-ports: " + e.Message);
            }
        }

        var address = ResolveAddress(hostText);
        var (issued, caPassword) = Trust.ServerCredentials.Load(
            home, parse, Trust.TrustCommandDefinitions.ChatServeCaPassword, name, Trust.ServerNames.DnsNames(parse, hostText), address, m => new CliException(m));

        using var credential = issued;
        var (clientVerifier, admission) = ClientPolicy(home, allowFile, requireCert);
        var output = new ChatOutput();
        using var enrollment = new EnrollmentServer(home, new EnrollmentServerOptions { AllowListPath = allowFile?.FullName, CaPassword = caPassword });
        enrollment.Completed += e => output.Line(e.Message);
        var authenticator = new SecureStreamAuthenticator(
            new SecureServerOptions
            {
                ServerCredential = credential,
                ClientVerifier = EnrollmentServer.Gate(clientVerifier),
                RequireClientCredential = true, // open mode too: each client is known by its key
                JoinHandler = enrollment.HandleAsync,
                HandshakeTimeout = ChatServerOptions.DefaultHandshakeTimeout,
                CipherSuites = SuiteOption.Get(parse, SuiteOption.Server),
            },
            client: null);

        var registry = home.OpenClientRegistry();
        using var logging = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(parse.GetValue(ServeCommandDefinition.Verbose) ? LogLevel.Debug : LogLevel.Warning)
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        await using var server = new ChatServer(new ChatServerOptions
        {
            Address = address,
            Port = port,
            MaxClients = maxClients,
            Authenticator = authenticator,
            ServerName = name,
            HopPorts = hop,
            HopTimeout = TimeSpan.FromSeconds(parse.GetValue(ServeCommandDefinition.HopTimeout)),
        }, logging.CreateLogger<ChatServer>());
        server.EventRaised += e =>
        {
            if (e is ClientJoined joined && joined.Client.Fingerprint.Length > 0)
            {
                registry.Record(joined.Client.Fingerprint, joined.Client.Name, joined.Client.RemoteEndPoint.ToString(), joined.Time);
            }

            if (ChatOutput.Describe(e) is { } line)
            {
                output.Line(line);
            }
        };

        try
        {
            server.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new CliException($"cannot listen on {address}:{port}: {e.Message}");
        }

        output.Line($"SafeWire chat server \"{name}\" on {address}:{server.Port}, at most {maxClients} clients");
        output.Line($"server key {credential.Fingerprint}");
        output.Line($"clients meeting it for the first time are shown this key and asked to trust it (or pass --fingerprint with it), or check its certificate against the CA: {home.CaCertificatePath}");
        output.Line("admission: " + admission);
        output.Line(hop is { } h ? $"port hopping: each client moves to a fresh port in {h} after the handshake on port {server.Port}" : $"port: {server.Port}");
        output.Line("admin console: type help");

        await new AdminConsole(server, output).RunAsync(CliConsole.In, cancellationToken).ConfigureAwait(false);
        output.Line("server stopped");
        return 0;
    }

    private static (IPeerVerifier Verifier, string Description) ClientPolicy(SafeWireHome home, FileInfo? allowFile, bool requireCert)
    {
        if (allowFile is not null)
        {
            if (!allowFile.Exists)
            {
                throw new CliException($"{allowFile.FullName}: no such allow-list file");
            }

            var list = AllowList.Load(allowFile.FullName);
            return (new IdentityOnlyVerifier(new AllowListVerifier(allowFile.FullName)),
                $"allow-list {allowFile.FullName} ({list.Entries.Count} keys, re-read when it changes; clients joining with safewire invite codes are added); other clients are refused");
        }

        return requireCert
            ? (new IdentityOnlyVerifier(home.CreateCaVerifier()), $"clients need a certificate from the CA {home.CaCertificatePath} (safewire invite NAME gives another machine one)")
            : (new OpenAdmissionVerifier(), "open: any client with a key may join; each is recorded by its key in " + home.ClientRegistryPath);
    }

    private static IPAddress ResolveAddress(string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new CliException($"{host}: no address");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new CliException($"{host}: {e.Message}");
        }
    }
}
