using System.CommandLine;

namespace SafeWire.Cli.Commands.Init;

internal static class InitCommandDefinition
{
    public static readonly PasswordOptions Password = new("the new private keys (node and CA)");

    public static Command Create()
    {
        var command = new Command("init", "Create this node's identity and a local CA if absent; print their fingerprints");
        Password.AddTo(command);
        command.SetAction(parse => InitCommand.Run(parse));
        return command;
    }
}
