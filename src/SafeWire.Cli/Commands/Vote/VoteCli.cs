using System.CommandLine;
using SafeWire.Identity;
using SafeWire.Voting;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>Shared plumbing of the vote verbs: the home directory and turning failures into one line on stderr.</summary>
internal static class VoteCli
{
    public const int ExitError = 1;

    /// <summary>The server said "no" for good (not registered, already voted, closed...). 2 is the parser's usage error.</summary>
    public const int ExitRefused = 3;

    public static async Task<int> RunAsync(ParseResult parse, string verb, Func<SafeWireHome, Task<int>> body)
    {
        try
        {
            return await body(HomeOption.Resolve(parse));
        }
        catch (OperationCanceledException)
        {
            return ExitError;
        }
        catch (Exception e)
        {
            // One line, never a stack trace (the same policy as Program.cs, with the verb named).
            var message = e is VotingException or VoteProtocolException ? e.Message : CliErrors.Describe(e);
            await CliConsole.Error.WriteLineAsync($"safewire vote {verb}: {message}");
            return ExitError;
        }
    }
}
