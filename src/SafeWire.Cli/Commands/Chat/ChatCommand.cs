using System.CommandLine;
using SafeWire.Cli.Commands.Serve;
using SafeWire.Chat.Client;

namespace SafeWire.Cli.Commands.Chat;

/// <summary><c>safewire chat HOST:PORT</c>: the interactive client (line mode; works with a terminal or piped input).</summary>
internal static class ChatCommand
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (host, port) = ChatCommandDefinition.Target(parse);
        var name = parse.GetValue(ChatCommandDefinition.Name) ?? ChatClientSetup.DefaultName();
        var home = HomeOption.Resolve(parse);
        await Trust.CrlRefresh.RefreshIfStaleAsync(home, host, port, cancellationToken).ConfigureAwait(false);
        var (options, credential, serverVerifier) = ChatClientSetup.Create(parse, home, name, host, port, parse.GetValue(ChatCommandDefinition.Ca), parse.GetValue(ChatCommandDefinition.As), suites: SuiteOption.Get(parse, SuiteOption.Client));
        using var _ = credential;
        var output = new ChatOutput();
        try
        {
            await using var client = await ChatClientSetup.ConnectAsync(host, port, options, serverVerifier, credential, cancellationToken).ConfigureAwait(false);
            PrintWelcome(output, client, host);
            client.MessageReceived += m =>
            {
                if (ChatOutput.Describe(m) is { } line)
                {
                    output.Line(line);
                }
            };
            client.DirectMessageReceived += d => output.Line(
                $"[{ChatOutput.Time(DateTimeOffset.Now)}] (direct, end-to-end from {d.From.Name}, key {ChatOutput.Key(d.Verified?.Fingerprint ?? string.Empty)}) {d.Text}");
            client.DirectFailed += message => output.Line("! " + message);
            output.Line(ClientInput.Help);

            var run = client.RunAsync(cancellationToken);
            await ReadInputAsync(client, output, run, cancellationToken).ConfigureAwait(false);
            var exit = await run.ConfigureAwait(false);
            var code = ChatClientSetup.ExitCode(exit);
            if (code == ChatClientSetup.ExitCodes.Ok)
            {
                output.Line("bye");
            }
            else
            {
                output.Line(exit.Message);
                await CliConsole.Error.WriteLineAsync("safewire: " + exit.Message).ConfigureAwait(false);
            }

            return code;
        }
        catch (ChatExitException e)
        {
            await CliConsole.Error.WriteLineAsync("safewire: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
    }

    public static void PrintWelcome(ChatOutput output, ChatClient client, string host)
    {
        output.Line($"connected to {host}:{client.ControlPort} as {client.Name} (#{client.ClientId})");
        output.Line($"server \"{client.ServerName}\", key {ChatOutput.Key(client.ServerIdentity?.Fingerprint ?? string.Empty)}, suite {client.CipherSuite}");
        output.Line(client.Hopped
            ? $"port: handshake on {client.ControlPort}, conversation moved to port {client.Port}"
            : $"port: {client.Port}");
        var more = client.OthersAtWelcome - client.Members.Count;
        output.Line("here: " + ChatOutput.Members(client.Members) + (more > 0 ? $" and {more} more" : string.Empty));
    }

    /// <summary>Reads lines until /quit, end of input, or the session ends from the server's side.</summary>
    private static async Task ReadInputAsync(ChatClient client, ChatOutput output, Task<ClientExit> run, CancellationToken cancellationToken)
    {
        Task<string?>? pending = null;
        while (!run.IsCompleted)
        {
            pending ??= Task.Run(CliConsole.In.ReadLine, CancellationToken.None); // CliConsole.In blocks even in ReadLineAsync
            if (await Task.WhenAny(pending, run).ConfigureAwait(false) == run)
            {
                return;
            }

            var line = await pending.ConfigureAwait(false);
            pending = null;
            if (line is null || cancellationToken.IsCancellationRequested)
            {
                await client.QuitAsync(CancellationToken.None).ConfigureAwait(false);
                return;
            }

            try
            {
                switch (ClientInput.Parse(line))
                {
                    case InputQuit:
                        await client.QuitAsync(cancellationToken).ConfigureAwait(false);
                        return;
                    case InputChat chat:
                        _ = AckAsync(client, output, chat.Text);
                        break;
                    case InputWho:
                        var who = await client.WhoAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
                        output.Line("here: " + string.Join(", ", who.Select(m => $"{m.Name} (#{m.Id}, {ChatOutput.Key(m.Fingerprint)})")));
                        break;
                    case InputDirect direct:
                        var verified = await client.SendDirectAsync(direct.Name, direct.Text, cancellationToken).ConfigureAwait(false);
                        output.Line($"(direct message to {direct.Name} delivered end-to-end; their key {ChatOutput.Key(verified?.Fingerprint ?? string.Empty)})");
                        break;
                    case InputHelp:
                        output.Line(ClientInput.Help);
                        break;
                    case InputInvalid invalid:
                        output.Line(invalid.Hint);
                        break;
                }
            }
            catch (Exception e) when (e is IOException or ArgumentException or TimeoutException or InvalidOperationException or Identity.TrustException)
            {
                output.Line("! " + e.Message);
            }
        }
    }

    private static async Task AckAsync(ChatClient client, ChatOutput output, string text)
    {
        try
        {
            var ack = await client.SendAsync(text).WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            output.Line($"  (ack #{ack.MessageId}: relayed to {ack.DeliveredTo})");
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException)
        {
            output.Line($"! not acknowledged: {e.Message}");
        }
    }
}
