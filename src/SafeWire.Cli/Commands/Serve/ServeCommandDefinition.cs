using System.CommandLine;

namespace SafeWire.Cli.Commands.Serve;

internal static class ServeCommandDefinition
{
    public const int DefaultPort = 10101;

    public static readonly Argument<string?> HostArgument = new("HOST")
    {
        Description = "Address to listen on (the original design's form: serve HOST PORT MAX_CLIENTS)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static readonly Argument<int?> PortArgument = new("PORT") { Description = "Control port", Arity = ArgumentArity.ZeroOrOne };

    public static readonly Argument<int?> MaxClientsArgument = new("MAX_CLIENTS") { Description = "Maximum clients", Arity = ArgumentArity.ZeroOrOne };

    public static readonly Option<string> Host = new("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };

    public static readonly Option<int> Port = new("--port") { Description = "Control port (handshakes start here)", DefaultValueFactory = _ => DefaultPort };

    public static readonly Option<int> MaxClients = new("--max-clients") { Description = "Clients at once; the next one is refused with \"server full\"", DefaultValueFactory = _ => 100 };

    public static readonly Option<FileInfo?> Allow = new("--allow") { Description = "Allow-list file: only clients whose key is listed get in" };

    public static readonly Option<bool> RequireClientCert = new("--require-client-cert") { Description = "Only clients with a certificate from this home's CA get in" };

    public static readonly Option<string?> HopPorts = new("--hop-ports")
    {
        Description = "Port hopping: move each client to a fresh port from LOW-HIGH after the handshake (default range 49152-65535)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static readonly Option<double> HopTimeout = new("--hop-timeout") { Description = "Seconds an offered hop port waits for its client", DefaultValueFactory = _ => 15 };

    public static readonly Option<string> Name = new("--name") { Description = "The server's name (its certificate's name and what clients are told)", DefaultValueFactory = _ => "server" };

    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Diagnostic log lines (handshakes, internal errors) on standard error" };

    public static Command Create()
    {
        var command = new Command("serve", "Run the chat server with an admin console on standard input (list, kick, broadcast, stats, stop, help)");
        command.Arguments.Add(HostArgument);
        command.Arguments.Add(PortArgument);
        command.Arguments.Add(MaxClientsArgument);
        command.Options.Add(Host);
        command.Options.Add(Port);
        command.Options.Add(MaxClients);
        command.Options.Add(Allow);
        command.Options.Add(RequireClientCert);
        command.Options.Add(HopPorts);
        command.Options.Add(HopTimeout);
        command.Options.Add(Name);
        command.Options.Add(Verbose);
        command.Options.Add(SuiteOption.Server);
        command.Options.Add(Trust.ServerNames.DnsOption);
        Trust.TrustCommandDefinitions.ChatServeCaPassword.AddTo(command);
        command.SetAction((parse, ct) => ServeCommand.RunAsync(parse, ct));
        return command;
    }
}
