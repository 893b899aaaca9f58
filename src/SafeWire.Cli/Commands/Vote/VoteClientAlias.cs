using System.CommandLine;
using SafeWire.Identity;
using SafeWire.Voting;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>
/// <c>vote client ID N PORT [--host H]</c>: the original design's voter client, as an alias of <c>vote cast</c>. The
/// credential is <c>--credential FILE</c>, else the one file named <c>ID.cred</c> in the current directory or the home,
/// else (when this home joined the server with a code) this home's own identity.
/// </summary>
internal static class VoteClientAlias
{
    private const int SearchDepth = 4;

    public static readonly Argument<string> Id = new("ID") { Description = "Voter ID" };

    public static readonly Argument<int> CandidateCount = new("N") { Description = "Number of candidates (a ballot has N scores)" };

    public static readonly Argument<int> PortArgument = new("PORT") { Description = "The voting server's port" };

    public static readonly Option<string> Host = new("--host") { Description = "The voting server's address", DefaultValueFactory = _ => "127.0.0.1" };

    public static readonly Option<FileInfo?> Credential = new("--credential") { Description = "The voter's credential file (default: ID.cred in the current directory or the home)" };

    public static Command Create() => new("client", "The original design's voter client: vote client ID N PORT [--host H] (the same as vote cast)")
    {
        Id, CandidateCount, PortArgument, Host, Credential, VoteCommandDefinition.BallotText, VoteCommandDefinition.ReceiptOut, VoteCommandDefinition.ServerName, SuiteOption.Client,
    };

    public static async Task<int> RunAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var id = parse.GetRequiredValue(Id);
        Identifiers.EnsureValid(id, "voter ID");
        var candidates = parse.GetValue(CandidateCount);
        if (candidates < 1)
        {
            throw new VotingException($"N must be the number of candidates (1 or more), not {candidates}.");
        }

        if (parse.GetValue(VoteCommandDefinition.BallotText) is { } ballot && ballot.Trim().Length != candidates)
        {
            throw new VotingException($"The ballot \"{ballot}\" has {ballot.Trim().Length} scores; this election has {candidates} candidates.");
        }

        var port = parse.GetValue(PortArgument);
        var target = new HostPort(parse.GetRequiredValue(Host), port is >= 1 and <= 65535 ? port : throw new VotingException($"PORT must be 1-65535, not {port}.")).ToString();
        if (parse.GetValue(Credential) is null && VoteCastCommand.HasJoined(home, parse.GetRequiredValue(Host)) && !HasCredential(id, home.Root))
        {
            // This home joined the server with a code: it votes as its own identity, under the voter ID given.
            return await VoteCastCommand.CastAsJoinedAsync(parse, target, id, home, cancellationToken).ConfigureAwait(false);
        }

        var credential = parse.GetValue(Credential)?.FullName ?? FindCredential(id, home.Root);
        return await VoteCastCommand.CastAsync(parse, target, credential, id, home, cancellationToken).ConfigureAwait(false);
    }

    private static bool HasCredential(string id, string homeRoot)
    {
        try
        {
            FindCredential(id, homeRoot);
            return true;
        }
        catch (VotingException)
        {
            return false;
        }
    }

    /// <summary>The one <c>ID.cred</c> in the current directory or under the home (a few levels deep).</summary>
    public static string FindCredential(string id, string homeRoot)
    {
        var name = id + ".cred";
        var found = new List<string>();
        var here = Path.Combine(Environment.CurrentDirectory, name);
        if (File.Exists(here))
        {
            found.Add(Path.GetFullPath(here));
        }

        if (Directory.Exists(homeRoot))
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = SearchDepth, IgnoreInaccessible = true };
            found.AddRange(Directory.EnumerateFiles(homeRoot, name, options).Select(Path.GetFullPath));
        }

        found = [.. found.Distinct(StringComparer.Ordinal)];
        return found.Count switch
        {
            1 => found[0],
            0 => throw new VotingException($"No credential {name} in the current directory or under {homeRoot}; pass --credential FILE (vote register wrote it)."),
            _ => throw new VotingException($"Several credentials named {name} ({string.Join(", ", found)}); pick one with --credential FILE."),
        };
    }
}
