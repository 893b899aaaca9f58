using System.CommandLine;
using SafeWire.Identity;
using SafeWire.Voting;
using SafeWire.Voting.Storage;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>The election authority's verbs: init, register, close, results.</summary>
internal static class VoteAdminCommands
{
    public static async Task<int> InitAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var names = parse.GetValue(VoteCommandDefinition.Names);
        var definition = new ElectionDefinition
        {
            Name = parse.GetRequiredValue(VoteCommandDefinition.Election),
            Candidates = parse.GetValue(VoteCommandDefinition.Candidates),
            MaxScore = parse.GetValue(VoteCommandDefinition.MaxScore),
            CandidateNames = names is null ? [] : names.Split(',', StringSplitOptions.TrimEntries),
            AllowRevote = parse.GetValue(VoteCommandDefinition.AllowRevote),
            Database = parse.GetValue(VoteCommandDefinition.Database),
        };
        definition.Validate();
        var files = ElectionFiles.Create(home.Root, definition);
        try
        {
            await using var store = BallotStore.Open(files.DatabaseTarget);
            await store.CreateElectionAsync(definition, cancellationToken);
        }
        catch
        {
            // Leave nothing half-made behind, so init can simply be run again.
            Directory.Delete(files.Directory, recursive: true);
            throw;
        }

        CliConsole.Out.WriteLine($"election {definition.Name} created: {definition.Candidates} candidates, scores 0-{definition.MaxScore}, revoting {(definition.AllowRevote ? "allowed" : "not allowed")}");
        CliConsole.Out.WriteLine($"  folder:   {files.Directory}");
        CliConsole.Out.WriteLine($"  database: {BallotStore.Describe(files.DatabaseTarget)}");
        CliConsole.Out.WriteLine($"next: safewire vote register {definition.Name} --count K --out DIR");
        return 0;
    }

    public static Task<int> RegisterAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var files = ElectionFiles.Open(home.Root, parse.GetRequiredValue(VoteCommandDefinition.Election));
        var (ids, outDirectory) = VotersToRegister(parse, count => files.LoadVoters().NextNumericIds(count));
        var credentials = VoterRegistry.Register(files, [.. ids], VoteTransport.CaCertificatePem(home));
        foreach (var credential in credentials)
        {
            credential.Save(Path.Combine(outDirectory, credential.VoterId + ".cred"));
        }

        CliConsole.Out.WriteLine($"registered {credentials.Count} voter{(credentials.Count == 1 ? "" : "s")} in election {files.Definition.Name} ({files.LoadVoters().Count} in total)");
        CliConsole.Out.WriteLine($"credentials (private, hand each to its voter): {outDirectory}/<voter_id>.cred");
        return Task.FromResult(0);
    }

    /// <summary>
    /// The voter IDs <c>vote register</c> names (<c>--voters FILE</c>, or <c>--count K</c> new numeric ones) and the
    /// <c>--out</c> folder for their credentials, refusing to overwrite a credential already there.
    /// </summary>
    internal static (IReadOnlyList<string> Ids, string OutDirectory) VotersToRegister(ParseResult parse, Func<int, IReadOnlyList<string>> nextNumericIds)
    {
        var votersFile = parse.GetValue(VoteCommandDefinition.VotersFile);
        var count = parse.GetValue(VoteCommandDefinition.Count);
        if ((votersFile is null) == (count is null))
        {
            throw new VotingException("Give exactly one of --voters FILE or --count K.");
        }

        IReadOnlyList<string> ids;
        if (votersFile is not null)
        {
            ids = File.ReadAllLines(votersFile.FullName).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').ToList();
        }
        else
        {
            if (count is < 1 or > 1_000_000)
            {
                throw new VotingException("--count must be between 1 and 1000000.");
            }

            ids = nextNumericIds(count!.Value);
        }

        var outDirectory = parse.GetRequiredValue(VoteCommandDefinition.Out).FullName;
        Directory.CreateDirectory(outDirectory);
        var existing = ids.Select(id => Path.Combine(outDirectory, id + ".cred")).FirstOrDefault(File.Exists);
        if (existing is not null)
        {
            throw new VotingException($"{existing} already exists; not overwriting a credential.");
        }

        return (ids, outDirectory);
    }

    public static async Task<int> CloseAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var files = ElectionFiles.Open(home.Root, parse.GetRequiredValue(VoteCommandDefinition.Election));
        await using var store = BallotStore.Open(files.DatabaseTarget);
        await store.CloseAsync(files.Definition.Name, cancellationToken);
        var counted = await store.ReadCountedBallotsAsync(files.Definition.Name, cancellationToken);
        CliConsole.Out.WriteLine($"election {files.Definition.Name} closed: {counted.Count} ballot{(counted.Count == 1 ? "" : "s")} counted");
        return 0;
    }

    public static async Task<int> ResultsAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var files = ElectionFiles.Open(home.Root, parse.GetRequiredValue(VoteCommandDefinition.Election));
        var json = parse.GetValue(VoteCommandDefinition.Json);
        var csv = parse.GetValue(VoteCommandDefinition.Csv);
        if (json && csv)
        {
            throw new VotingException("Choose one of --json or --csv.");
        }

        await using var store = BallotStore.Open(files.DatabaseTarget);
        var tally = await store.TallyAsync(files.Definition, cancellationToken);
        if (json)
        {
            CliConsole.Out.WriteLine(TallyExport.ToJson(tally));
        }
        else if (csv)
        {
            CliConsole.Out.Write(TallyExport.ToCsv(tally));
        }
        else
        {
            ResultsView.Render(CliConsole.Console, tally);
        }

        return 0;
    }
}
