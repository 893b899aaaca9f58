using System.CommandLine;

namespace SafeWire.Cli.Commands.Demo;

internal static class DemoCommandDefinition
{
    public static readonly Option<bool> Keep = new("--keep") { Description = "Keep the demo's keys and certificates (printed path) instead of deleting them" };

    public static readonly Option<int> Port = new("--port") { Description = "Port for the demo's server on 127.0.0.1 (default: a free one)", DefaultValueFactory = _ => 0 };

    public static Command Create()
    {
        var command = new Command("demo", "A guided tour on loopback, no set-up: allow-listed chat server, three clients, messages, an end-to-end direct message, a kick and a clean stop");
        command.Options.Add(Keep);
        command.Options.Add(Port);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Port) is < 0 or > 65535)
            {
                result.AddError("--port must be 0 (a free port) to 65535");
            }
        });
        command.SetAction((parse, ct) => DemoCommand.RunAsync(parse, ct));
        return command;
    }
}
