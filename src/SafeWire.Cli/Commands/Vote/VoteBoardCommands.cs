using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Transport;
using SafeWire.Voting;
using SafeWire.Voting.Storage;

namespace SafeWire.Cli.Commands.Vote;

/// <summary><c>vote board</c> and <c>vote verify-receipt</c>: anyone can read the board and check it.</summary>
internal static class VoteBoardCommands
{
    private const int MaxNetworkEntries = 10_000_000;

    public static async Task<int> BoardAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var source = parse.GetRequiredValue(VoteCommandDefinition.BoardSource);
        var credentialFile = parse.GetValue(VoteCommandDefinition.BoardCredential);
        var credential = credentialFile is null ? null : VoterCredential.Load(credentialFile.FullName);
        var (election, entries, localKey) = await FetchAsync(source, credential?.Election, credential?.CaCertificate, home, SuiteOption.Get(parse, SuiteOption.Client), cancellationToken);
        using var receiptKey = credential?.LoadReceiptKey() ?? localKey;

        var replacedBy = entries.Where(e => e.Kind == BoardEntryKind.Replace).ToDictionary(e => e.Replaces, e => e.Sequence);
        CliConsole.Out.WriteLine($"board of election {election}: {entries.Count} entr{(entries.Count == 1 ? "y" : "ies")}");
        CliConsole.Out.WriteLine("   seq  kind     ballot hash       recorded (UTC)        entry hash        note");
        foreach (var e in entries)
        {
            var note = e.Kind == BoardEntryKind.Replace ? $"replaces #{e.Replaces}" : "";
            if (replacedBy.TryGetValue(e.Sequence, out var by))
            {
                note = (note.Length == 0 ? "" : note + "; ") + $"replaced by #{by}";
            }

            var recorded = DateTimeOffset.FromUnixTimeMilliseconds(e.RecordedAtMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            CliConsole.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.Sequence,6}  {e.Kind,-7}  {Convert.ToHexStringLower(e.BallotHash)[..16]}  {recorded}   {Convert.ToHexStringLower(e.EntryHash)[..16]}  {note}"));
        }

        var problems = BoardAudit.VerifyChain(election, entries, receiptKey);
        if (problems.Count != 0)
        {
            foreach (var problem in problems)
            {
                await CliConsole.Error.WriteLineAsync("board check failed: " + problem);
            }

            return VoteCli.ExitError;
        }

        var head = entries.Count == 0 ? BoardEntry.GenesisHash(election) : entries[^1].EntryHash;
        CliConsole.Out.WriteLine($"chain intact: {entries.Count} entries, head {Convert.ToHexStringLower(head)}" +
            (receiptKey is null ? " (receipt signatures not checked: pass --credential)" : ", every receipt signature verified"));
        return 0;
    }

    public static async Task<int> VerifyReceiptAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var path = parse.GetRequiredValue(VoteCommandDefinition.ReceiptFile).FullName;
        var file = ReceiptFile.Load(path);
        var receipt = file.ToReceipt();
        var source = parse.GetValue(VoteCommandDefinition.BoardFrom) ?? file.Server
            ?? throw new VotingException("The receipt names no server; pass --board HOST:PORT or --board ELECTION.");
        using var receiptKey = ECDsa.Create();
        try
        {
            receiptKey.ImportFromPem(file.ReceiptKey);
        }
        catch (ArgumentException e)
        {
            throw new VotingException("The receipt file's receipt key is damaged: " + e.Message, e);
        }

        var (_, entries, localKey) = await FetchAsync(source, file.Election, file.CaCertificate, home, SuiteOption.Get(parse, SuiteOption.Client), cancellationToken);
        localKey?.Dispose();
        var (status, detail) = BoardAudit.CheckReceipt(receipt, entries, receiptKey);
        switch (status)
        {
            case ReceiptStatus.Counted:
                CliConsole.Out.WriteLine($"receipt verified: the ballot of voter {file.VoterId} is on the board of election {file.Election}, unchanged, and counts ({detail})");
                return 0;
            case ReceiptStatus.Replaced:
                CliConsole.Out.WriteLine($"receipt verified: the ballot is on the board unchanged, but {detail} (revoting is allowed in this election)");
                return 0;
            default:
                await CliConsole.Error.WriteLineAsync($"receipt NOT verified ({status}): {detail}");
                return VoteCli.ExitError;
        }
    }

    /// <summary>The board from a server (HOST:PORT) or from a local election's database, with the local receipt key.</summary>
    private static async Task<(string Election, IReadOnlyList<BoardEntry> Entries, ECDsa? LocalReceiptKey)> FetchAsync(
        string source, string? election, string? caCertificatePem, SafeWireHome home, IList<CipherSuite> suites, CancellationToken cancellationToken)
    {
        if (HostPort.TryParse(source, defaultPort: null, out var endpoint))
        {
            // Without a CA from a credential or receipt, a home that joined the host with a code trusts the CA it pinned then.
            var verifier = (string.IsNullOrWhiteSpace(caCertificatePem) ? new TrustedServers(home).VerifierFor(endpoint.Host) : null)
                ?? VoteTransport.ServerVerifier(caCertificatePem, home);
            await using var stream = await VoteTransport.ConnectAsync(endpoint.Host, endpoint.Port, new SecureClientOptions { ServerVerifier = verifier, ServerName = endpoint.Host, CipherSuites = suites }, 1, null, cancellationToken);
            var (served, entries) = await VoteClient.ReadBoardAsync(stream, election, MaxNetworkEntries, cancellationToken);
            return (served, entries, null);
        }

        var files = ElectionFiles.Open(home.Root, source);
        if (election is not null && election != files.Definition.Name)
        {
            throw new VotingException($"The receipt is for election {election}, not {files.Definition.Name}.");
        }

        await using var store = BallotStore.Open(files.DatabaseTarget);
        var all = new List<BoardEntry>();
        while (true)
        {
            var batch = await store.ReadBoardAsync(files.Definition.Name, all.Count == 0 ? 0 : all[^1].Sequence, 10_000, cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            all.AddRange(batch);
        }

        return (files.Definition.Name, all, files.LoadReceiptPublicKey());
    }
}
