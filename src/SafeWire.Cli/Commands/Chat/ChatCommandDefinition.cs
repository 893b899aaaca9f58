using System.CommandLine;

namespace SafeWire.Cli.Commands.Chat;

internal static class ChatCommandDefinition
{
    public static readonly Argument<string> Endpoint = new("HOST:PORT") { Description = "The chat server (port 10101 when left out)" };

    public static readonly Option<string?> Name = new("--name") { Description = "Your name (also your certificate's name in the home); default: your user name" };

    public static readonly Option<string?> As = new("--as") { Description = "Use the identity NAME of this home (keys/NAME.key) instead of the default one" };

    public static readonly Option<FileInfo?> Ca = new("--ca") { Description = "Trust the server by this CA certificate instead of on first use (known_hosts)" };

    public static Command Create()
    {
        var command = new Command("chat", "Interactive chat client: type lines; /who, /msg NAME TEXT (end-to-end), /quit");
        command.Arguments.Add(Endpoint);
        command.Options.Add(Name);
        command.Options.Add(Ca);
        command.Options.Add(As);
        command.SetAction((parse, ct) => ChatCommand.RunAsync(parse, ct));
        return command;
    }
}
