using System.CommandLine;
using SafeWire.Cli.Commands.Chat;

namespace SafeWire.Cli.Commands.Send;

internal static class SendCommandDefinition
{
    public static readonly Argument<string> Endpoint = new("HOST:PORT") { Description = "The chat server" };

    public static readonly Argument<string[]> Message = new("MESSAGE") { Description = "The message (words are joined with spaces)", Arity = ArgumentArity.OneOrMore };

    public static readonly Option<double> AckTimeout = new("--timeout") { Description = "Seconds to wait for the server's acknowledgement", DefaultValueFactory = _ => 15, HelpName = "SECONDS" };

    public static Command Create()
    {
        var command = new Command("send", "Send one chat message and print the server's reply (for scripts)");
        command.Arguments.Add(Endpoint);
        command.Arguments.Add(Message);
        command.Options.Add(ChatCommandDefinition.Name);
        command.Options.Add(ChatCommandDefinition.Ca);
        command.Options.Add(ChatCommandDefinition.As);
        command.Options.Add(SuiteOption.Client);
        Trust.FirstContact.AddTo(command);
        command.Options.Add(AckTimeout);
        command.SetAction((parse, ct) => SendCommand.RunAsync(parse, ct));
        return command;
    }
}
