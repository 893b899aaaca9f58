using System.CommandLine;

namespace SafeWire.Cli.Commands.Chat;

internal static class ChatCommandDefinition
{
    public static readonly Argument<string> Endpoint = new("HOST:PORT") { Description = "The chat server (port 10101 when left out)" };

    public static readonly Argument<int?> PortArgument = new("PORT") { Description = "The port, when HOST and PORT are given apart (the original design's form: chat HOST PORT)", Arity = ArgumentArity.ZeroOrOne };

    public static readonly Option<string?> Name = new("--name") { Description = "Your name (also your certificate's name in the home); default: your user name" };

    public static readonly Option<string?> As = new("--as") { Description = "Use the identity NAME of this home (keys/NAME.key) instead of the default one" };

    public static readonly Option<FileInfo?> Ca = new("--ca") { Description = "Trust the server only by this CA certificate (instead of a joined CA, the home CA or known_hosts)" };

    public static Command Create()
    {
        var command = new Command("chat", "Interactive chat client: type lines; /who, /msg NAME TEXT (end-to-end), /quit");
        command.Arguments.Add(Endpoint);
        command.Options.Add(Name);
        command.Arguments.Add(PortArgument);
        command.Options.Add(Ca);
        command.Options.Add(As);
        command.Options.Add(SuiteOption.Client);
        Trust.FirstContact.AddTo(command);
        command.SetAction((parse, ct) => ChatCommand.RunAsync(parse, ct));
        return command;
    }

    /// <summary>The server to dial: HOST:PORT, HOST (port 10101), or HOST PORT as two arguments.</summary>
    public static HostPort Target(ParseResult parse)
    {
        var endpoint = parse.GetValue(Endpoint)!;
        if (parse.GetValue(PortArgument) is not { } port)
        {
            return HostPort.Parse(endpoint, "the server", Serve.ServeCommandDefinition.DefaultPort);
        }

        if (!HostPort.TryParse(endpoint, defaultPort: -1, out var host) || host.Port != -1)
        {
            throw new CliException($"give the server as HOST:PORT or as HOST PORT, not \"{endpoint}\" and {port}");
        }

        return HostPort.Parse(new HostPort(host.Host, port).ToString(), "the server");
    }
}
