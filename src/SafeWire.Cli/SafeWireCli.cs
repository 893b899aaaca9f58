using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using SafeWire.Cli.Commands;

namespace SafeWire.Cli;

/// <summary>The <c>safewire</c> command: its verbs, and how a run ends (exit code, one-line errors).</summary>
internal static class SafeWireCli
{
    /// <summary>Exit code of a bad command line (unknown verb or option, missing or malformed argument).</summary>
    public const int UsageError = 2;

    /// <summary>Every verb, as the parser sees them.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("SafeWire: authenticated, encrypted channels and the applications on top of them.");
        root.Options.Add(CommonOptions.Home);
        root.Subcommands.Add(Commands.Init.InitCommandDefinition.Create());
        root.Subcommands.Add(Commands.Keys.KeysCommandDefinition.Create());
        root.Subcommands.Add(Commands.Ca.CaCommandDefinition.Create());
        root.Subcommands.Add(Commands.Cert.CertCommandDefinition.Create());
        root.Subcommands.Add(Commands.Allow.AllowCommandDefinition.Create());
        root.Subcommands.Add(Commands.Serve.ServeCommandDefinition.Create());
        root.Subcommands.Add(Commands.Chat.ChatCommandDefinition.Create());
        root.Subcommands.Add(Commands.Send.SendCommandDefinition.Create());
        root.Subcommands.Add(Commands.Demo.DemoCommandDefinition.Create());
        root.Subcommands.Add(Commands.Trace.TraceCommandDefinition.Create());
        root.Subcommands.Add(Commands.Vote.VoteCommandDefinition.Create());
        root.Subcommands.Add(Commands.Ftp.FtpCommandDefinition.Create());
        root.Subcommands.Add(Commands.Files.FilesCommandDefinition.Create());
        root.Subcommands.Add(Commands.Km.KmCommandDefinition.Create());
        root.Subcommands.Add(Commands.Peer.PeerCommandDefinition.Create());
        root.Subcommands.Add(Commands.Trust.TrustCommandDefinitions.CreateId());
        root.Subcommands.Add(Commands.Trust.TrustCommandDefinitions.CreateInvite());
        root.Subcommands.Add(Commands.Trust.TrustCommandDefinitions.CreateJoin());
        root.Subcommands.Add(Commands.Trust.TrustCommandDefinitions.CreateKnownHosts());
        root.Subcommands.Add(Commands.Capture.CaptureCommandDefinition.Create());
        return root;
    }

    /// <summary>Runs <c>safewire ARGS</c> on the process's console.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Create().Parse(args.Length == 0 ? ["--help"] : args);
        return await InvokeAsync(parse).ConfigureAwait(false);
    }

    /// <summary>Runs <c>safewire ARGS</c> in process with the given output, error and input (tests); cancelling is Ctrl+C.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TextReader? input = null, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, input, terminal: false, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(string[], TextWriter, TextWriter, TextReader?, CancellationToken)"/>; with
    /// <paramref name="terminal"/> the verb may ask questions, as on a terminal (the input holds the answers).
    /// </summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TextReader? input, bool terminal, CancellationToken cancellationToken = default)
    {
        var parse = Create().Parse(args);
        return CliConsole.RunWithAsync(output, error, input ?? TextReader.Null, () => InvokeAsync(parse, new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            Output = output,
            Error = error,
            ProcessTerminationTimeout = null,
        }, cancellationToken), terminal);
    }

    private static async Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration? configuration = null, CancellationToken cancellationToken = default)
    {
        if (parse.Action is ParseErrorAction)
        {
            await CliConsole.Error.WriteLineAsync(DescribeUsageError(parse)).ConfigureAwait(false);
            return UsageError;
        }

        // Any exception escaping a verb becomes one line on stderr and exit code 1, never a stack trace.
        return await CliErrors.RunAsync(() => parse.InvokeAsync(configuration ?? new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>One line: what is wrong with the command line, and where the usage is (<c>safewire VERB --help</c>).</summary>
    public static string DescribeUsageError(ParseResult parse)
    {
        var path = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult command && command.Parent is not null)
            {
                path.Insert(0, command.Command.Name);
            }
        }

        var verb = string.Join(' ', ["safewire", .. path]);
        var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized command", StringComparison.Ordinal)) ?? parse.Errors[0];
        var error = Reword(first.Message);
        if (path.Count == 0 && parse.UnmatchedTokens.Count > 0 && parse.UnmatchedTokens[0] is { } token && !token.StartsWith('-'))
        {
            error = $"unknown verb \"{token}\"";
        }

        return $"safewire: {error}; see: {verb} --help";
    }

    private static readonly (System.Text.RegularExpressions.Regex Pattern, string Replacement)[] s_rewordings =
    [
        (new(@"^Unrecognized command or argument '(.*)'\.?$"), "unexpected argument \"$1\""),
        (new(@"^Required argument '(.*)' missing for command: '.*'\.?$"), "missing argument $1"),
        (new(@"^Required command was not provided\.?$"), "missing verb"),
        (new(@"^Cannot parse argument '(.*)' for (option|argument) '(.*)' as expected type 'System\.(Int32|Int64|Double|UInt16)'\.?$"), "$3: \"$1\" is not a number"),
        (new(@"^Cannot parse argument '(.*)' for (option|argument) '(.*)' as expected type '.*'\.?$"), "$3: \"$1\" is not a valid value"),
        (new(@"^Required argument missing for option: '(.*)'\.?$"), "$1 needs a value"),
        (new(@"^Option '(.*)' is required\.?$"), "$1 is required"),
    ];

    private static string Reword(string message)
    {
        foreach (var (pattern, replacement) in s_rewordings)
        {
            if (pattern.IsMatch(message))
            {
                return pattern.Replace(message, replacement);
            }
        }

        message = message.TrimEnd('.');
        return message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : "bad command line";
    }
}
