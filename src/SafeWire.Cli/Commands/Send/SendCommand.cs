using System.CommandLine;
using SafeWire.Cli.Commands.Serve;
using SafeWire.Cli.Commands.Chat;

namespace SafeWire.Cli.Commands.Send;

/// <summary><c>safewire send HOST:PORT MESSAGE...</c>: connect, send one line, print the acknowledgement, leave.</summary>
internal static class SendCommand
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (host, port) = HostPort.Parse(parse.GetValue(SendCommandDefinition.Endpoint)!, "the server", ServeCommandDefinition.DefaultPort);
        var text = string.Join(' ', parse.GetValue(SendCommandDefinition.Message)!);
        var name = parse.GetValue(ChatCommandDefinition.Name) ?? ChatClientSetup.DefaultName();
        var (options, credential) = ChatClientSetup.Create(HomeOption.Resolve(parse), name, host, port, parse.GetValue(ChatCommandDefinition.Ca), parse.GetValue(ChatCommandDefinition.As));
        using var _ = credential;
        options.SendOnly = true; // a script does not want the room's chatter
        try
        {
            await using var client = await ChatClientSetup.ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
            var run = client.RunAsync(cancellationToken);
            var ack = await client.SendAsync(text, cancellationToken).WaitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"server \"{client.ServerName}\" ({ChatOutput.Key(client.ServerIdentity?.Fingerprint ?? string.Empty)}) acknowledged message {ack.MessageId} from {client.Name}: relayed to {ack.DeliveredTo} other client(s)");
            await client.QuitAsync().ConfigureAwait(false);
            await ((Task)run).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return ChatClientSetup.ExitCodes.Ok;
        }
        catch (ChatExitException e)
        {
            await Console.Error.WriteLineAsync("safewire: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
    }
}
