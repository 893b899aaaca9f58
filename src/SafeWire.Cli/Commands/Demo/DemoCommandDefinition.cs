using System.CommandLine;

namespace SafeWire.Cli.Commands.Demo;

internal static class DemoCommandDefinition
{
    public static readonly Option<bool> Keep = new("--keep") { Description = "Keep the demo's keys and certificates (printed path) instead of deleting them" };

    public static Command Create()
    {
        var command = new Command("demo", "A guided tour on loopback, no set-up: allow-listed chat server, three clients, messages, an end-to-end direct message, a kick and a clean stop");
        command.Options.Add(Keep);
        command.SetAction((parse, ct) => DemoCommand.RunAsync(parse, ct));
        return command;
    }
}
