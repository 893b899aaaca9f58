using System.CommandLine;
using SafeWire.Cli.Commands.Serve;
using SafeWire.Cli.Commands.Chat;
using SafeWire.Chat.Wire;

namespace SafeWire.Cli.Commands.Send;

/// <summary><c>safewire send HOST:PORT MESSAGE...</c>: connect, send one line, print the acknowledgement, leave.</summary>
internal static class SendCommand
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (host, port) = HostPort.Parse(parse.GetValue(SendCommandDefinition.Endpoint)!, "the server", ServeCommandDefinition.DefaultPort);
        var text = string.Join(' ', parse.GetValue(SendCommandDefinition.Message)!);
        var name = parse.GetValue(ChatCommandDefinition.Name) ?? ChatClientSetup.DefaultName();
        var home = HomeOption.Resolve(parse);
        await Trust.CrlRefresh.RefreshIfStaleAsync(home, host, port, cancellationToken).ConfigureAwait(false);
        var (options, credential, serverVerifier) = ChatClientSetup.Create(parse, home, name, host, port, parse.GetValue(ChatCommandDefinition.Ca), parse.GetValue(ChatCommandDefinition.As), suites: SuiteOption.Get(parse, SuiteOption.Client));
        using var _ = credential;
        options.SendOnly = true; // a script does not want the room's chatter
        try
        {
            await using var client = await ChatClientSetup.ConnectAsync(host, port, options, serverVerifier, credential, cancellationToken).ConfigureAwait(false);
            var run = client.RunAsync(cancellationToken);
            var wait = TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(SendCommandDefinition.AckTimeout)));
            AckMessage ack;
            try
            {
                ack = await client.SendAsync(text, cancellationToken).WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new ChatExitException(ChatClientSetup.ExitCodes.ConnectionLost,
                    $"the server did not acknowledge the message within {wait.TotalSeconds:0.#} s, so it may not have arrived; send it again (or raise --timeout)");
            }
            catch (IOException e)
            {
                var exit = run.IsCompleted ? await run.ConfigureAwait(false) : null;
                throw new ChatExitException(exit is null ? ChatClientSetup.ExitCodes.ConnectionLost : ChatClientSetup.ExitCode(exit),
                    "the message was not acknowledged: " + (exit?.Message ?? e.Message));
            }

            CliConsole.Out.WriteLine($"server \"{client.ServerName}\" ({ChatOutput.Key(client.ServerIdentity?.Fingerprint ?? string.Empty)}) acknowledged message {ack.MessageId} from {client.Name}: relayed to {ack.DeliveredTo} other client(s)");
            await client.QuitAsync(cancellationToken).ConfigureAwait(false);
            await ((Task)run).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return ChatClientSetup.ExitCodes.Ok;
        }
        catch (ChatExitException e)
        {
            await CliConsole.Error.WriteLineAsync("safewire: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
    }
}
