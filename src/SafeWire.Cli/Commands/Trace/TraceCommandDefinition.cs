using System.CommandLine;
using SafeWire.Cli.Commands.Chat;

namespace SafeWire.Cli.Commands.Trace;

internal static class TraceCommandDefinition
{
    public static readonly Argument<string> Endpoint = new("HOST:PORT") { Description = "A SafeWire chat server" };

    public static readonly Option<bool> RevealSecrets = new("--reveal-secrets") { Description = "Print the values of the derived secrets (never do this for a session that matters)" };

    public static readonly Option<FileInfo?> KeyLog = new("--keylog") { Description = "Append the session's secrets to FILE in the NSS key log format (like SSLKEYLOGFILE)" };

    public static Command Create()
    {
        var command = new Command("trace", "Connect to a chat server and print the handshake step by step: messages, fields, sizes, checks, derived secrets");
        command.Arguments.Add(Endpoint);
        command.Options.Add(RevealSecrets);
        command.Options.Add(KeyLog);
        command.Options.Add(ChatCommandDefinition.Name);
        command.Options.Add(ChatCommandDefinition.Ca);
        command.Options.Add(ChatCommandDefinition.As);
        command.Options.Add(SuiteOption.Client);
        Trust.FirstContact.AddTo(command);
        command.SetAction((parse, ct) => TraceCommand.RunAsync(parse, ct));
        return command;
    }
}
