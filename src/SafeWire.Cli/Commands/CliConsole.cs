using Spectre.Console;

namespace SafeWire.Cli.Commands;

/// <summary>
/// Where a verb reads and writes: the process's console, or (in tests) writers and a reader the caller gives, for the
/// current invocation only (an <see cref="AsyncLocal{T}"/>, so tests can run verbs in parallel in one process).
/// Output that is not a terminal is plain text: no ANSI codes, no colours, no wrapping at 80 columns.
/// </summary>
internal sealed class CliConsole
{
    private static readonly AsyncLocal<CliConsole?> s_current = new();
    private static readonly Lazy<CliConsole> s_system = new(() => new CliConsole(
        System.Console.Out, System.Console.Error, System.Console.In, System.Console.IsOutputRedirected, System.Console.IsInputRedirected,
        terminal: !System.Console.IsInputRedirected && !System.Console.IsOutputRedirected));

    private CliConsole(TextWriter output, TextWriter error, TextReader input, bool outputRedirected, bool inputRedirected, bool terminal)
    {
        Terminal = terminal;
        Output = output;
        ErrorWriter = error;
        Input = input;
        IsOutputRedirected = outputRedirected;
        IsInputRedirected = inputRedirected;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = outputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = outputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = outputRedirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (outputRedirected)
        {
            Ansi.Profile.Width = 240; // a file or pipe has no width: fingerprints and paths stay on one line
        }
    }

    private static CliConsole Current => s_current.Value ?? s_system.Value;

    /// <summary>Tables, progress bars and markup: plain text when the output is not a terminal.</summary>
    public static IAnsiConsole Console => Current.Ansi;

    /// <summary>Plain lines (never wrapped, greppable).</summary>
    public static TextWriter Out => Current.Output;

    /// <summary>Errors and prompts.</summary>
    public static TextWriter Error => Current.ErrorWriter;

    /// <summary>Standard input.</summary>
    public static TextReader In => Current.Input;

    /// <summary>True when standard output is a file or a pipe (or a test's writer).</summary>
    public static bool OutputRedirected => Current.IsOutputRedirected;

    /// <summary>True when standard input is a file or a pipe (or a test's reader).</summary>
    public static bool InputRedirected => Current.IsInputRedirected;

    /// <summary>
    /// True when a person can be asked a question: standard input and output are a terminal (in tests: the caller
    /// says so, while output stays plain text).
    /// </summary>
    public static bool IsTerminal => Current.Terminal;

    private IAnsiConsole Ansi { get; }

    private bool Terminal { get; }

    private TextWriter Output { get; }

    private TextWriter ErrorWriter { get; }

    private TextReader Input { get; }

    private bool IsOutputRedirected { get; }

    private bool IsInputRedirected { get; }

    /// <summary>Runs <paramref name="body"/> with the given writers and reader as the console (tests: a verb in process).</summary>
    /// <paramref name="terminal"/>: answer <see cref="IsTerminal"/> with true, as for a person at a terminal typing the input.
    public static async Task<int> RunWithAsync(TextWriter output, TextWriter error, TextReader input, Func<Task<int>> body, bool terminal = false)
    {
        ArgumentNullException.ThrowIfNull(body);
        var previous = s_current.Value;
        s_current.Value = new CliConsole(output, error, input, outputRedirected: true, inputRedirected: true, terminal);
        try
        {
            return await body().ConfigureAwait(false);
        }
        finally
        {
            s_current.Value = previous;
        }
    }
}
