using System.CommandLine;
using SafeWire.Cli.Commands.Serve;
using SafeWire.Chat.Wire;
using SafeWire.Cli.Commands.Chat;

namespace SafeWire.Cli.Commands.Trace;

/// <summary>
/// <c>safewire trace HOST:PORT</c>: connects like <c>chat</c>, printing the SafeWire handshake step by step, then the
/// first chat frames inside the session (Hello, Welcome; a hop if the server moves the client), and leaves.
/// </summary>
internal static class TraceCommand
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (host, port) = HostPort.Parse(parse.GetValue(TraceCommandDefinition.Endpoint)!, "the server", ServeCommandDefinition.DefaultPort);
        var name = parse.GetValue(ChatCommandDefinition.Name) ?? ChatClientSetup.DefaultName();
        var keyLog = parse.GetValue(TraceCommandDefinition.KeyLog)?.FullName;
        var output = new ChatOutput();
        var tracer = new HandshakeTracer(output, parse.GetValue(TraceCommandDefinition.RevealSecrets), keyLog);
        var home = HomeOption.Resolve(parse);
        await Trust.CrlRefresh.RefreshIfStaleAsync(home, host, port, cancellationToken).ConfigureAwait(false);
        var (options, credential, serverVerifier) = ChatClientSetup.Create(parse, home, name, host, port, parse.GetValue(ChatCommandDefinition.Ca), parse.GetValue(ChatCommandDefinition.As), tracer, SuiteOption.Get(parse, SuiteOption.Client));
        using var _ = credential;
        options.SendOnly = true;
        options.FrameObserver = (inbound, frame) => output.Line(
            $"    chat frame {(inbound ? "server -> client" : "client -> server")}: {(ChatFrameType)frame[0]} ({frame.Length} bytes of plaintext inside the session, sealed into one record)");
        output.Line($"SafeWire handshake trace: {host}:{port}, client \"{name}\" (key {credential.Fingerprint})");
        try
        {
            await using var client = await ChatClientSetup.ConnectAsync(host, port, options, serverVerifier, credential, cancellationToken).ConfigureAwait(false);
            output.Line($"established: suite {client.CipherSuite}; server \"{client.ServerName}\" proved key {ChatOutput.Key(client.ServerIdentity?.Fingerprint ?? string.Empty)}");
            output.Line(client.Hopped ? $"port: handshake on {client.ControlPort}, conversation on {client.Port}" : $"port: {client.Port}");
            output.Line($"welcome: this client is #{client.ClientId} \"{client.Name}\"; here: {ChatOutput.Members(client.Members)}");
            var run = client.RunAsync(cancellationToken);
            await client.QuitAsync(cancellationToken).ConfigureAwait(false);
            await ((Task)run).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (keyLog is not null)
            {
                output.Line($"key log appended to {keyLog}");
            }

            return 0;
        }
        catch (ChatExitException e)
        {
            await CliConsole.Error.WriteLineAsync("safewire: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
    }
}
