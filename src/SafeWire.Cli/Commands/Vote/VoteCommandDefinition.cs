using System.CommandLine;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>
/// <c>safewire vote …</c>: the original design's voting service with registered voters, signed hybrid-encrypted
/// ballots, exactly-once counting, receipts, a public board and results. See docs/VOTING.md.
/// </summary>
internal static class VoteCommandDefinition
{
    public static readonly Argument<string> Election = new("ELECTION") { Description = "Election name" };

    // init
    public static readonly Option<int> Candidates = new("--candidates") { Description = "Number of candidates", Required = true };
    public static readonly Option<int> MaxScore = new("--max-score") { Description = "Highest score (0..9; a ballot has one character per candidate)", DefaultValueFactory = _ => 9 };
    public static readonly Option<string?> Names = new("--names") { Description = "Candidate names, comma-separated: \"A,B,...\"" };
    public static readonly Option<bool> AllowRevote = new("--allow-revote") { Description = "A later ballot replaces the voter's earlier one (the board shows which)" };
    public static readonly Option<string?> Database = new("--db") { Description = "SQLite file, or postgres://user:password@host:port/database (default: election.db in the election's folder)" };

    // register
    public static readonly Option<FileInfo?> VotersFile = new("--voters") { Description = "File with one voter ID per line" };
    public static readonly Option<int?> Count = new("--count") { Description = "Register K voters numbered from 1 (as in the original design)" };
    public static readonly Option<DirectoryInfo> Out = new("--out") { Description = "Directory for the credentials, one <voter_id>.cred each", Required = true };

    // serve
    public static readonly Argument<int?> SeedCandidates = new("N") { Description = "The original design's form: number of candidates (must match the election)", Arity = ArgumentArity.ZeroOrOne };
    public static readonly Argument<int?> SeedPort = new("PORT") { Description = "The original design's form: port", Arity = ArgumentArity.ZeroOrOne };
    public static readonly Option<int?> Port = new("--port") { Description = $"TCP port (default {VoteServeCommand.DefaultPort})" };
    public static readonly Option<string> Bind = new("--bind") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
    public static readonly Option<int> MaxClients = new("--max-clients") { Description = "Most voters served at once (connections still in their handshake do not count)", DefaultValueFactory = _ => 256 };

    // cast
    public static readonly Argument<string> Server = new("HOST:PORT") { Description = "The voting server" };
    public static readonly Option<FileInfo?> Credential = new("--credential") { Description = "The voter's credential file from vote register (default: this home's identity, which joined the server with a code from safewire invite)" };
    public static readonly Option<string?> BallotText = new("--ballot") { Description = "The ballot, e.g. 45432*3 (asked for when absent)" };
    public static readonly Option<string?> VoterId = new("--id") { Description = "Voter ID (default: the credential's, or the name this home joined the server with)" };
    public static readonly Option<FileInfo?> ReceiptOut = new("--receipt") { Description = "Where to save the receipt (default: next to the credential, .receipt; without one, receipts/ELECTION.ID.receipt in the home)" };
    public static readonly Option<string?> ServerName = new("--server-name") { Description = "Name expected in the server's certificate (default: the host)" };

    // board / verify-receipt
    public static readonly Argument<string> BoardSource = new("HOST:PORT|ELECTION") { Description = "A voting server, or a local election" };
    public static readonly Option<FileInfo?> BoardCredential = new("--credential") { Description = "A voter credential: also check every receipt signature on the board" };
    public static readonly Argument<FileInfo> ReceiptFile = new("RECEIPT_FILE") { Description = "A receipt saved by vote cast" };
    public static readonly Option<string?> BoardFrom = new("--board") { Description = "Read the board from HOST:PORT or a local ELECTION (default: the server in the receipt)" };

    // results
    public static readonly Option<bool> Json = new("--json") { Description = "Print the results as JSON" };
    public static readonly Option<bool> Csv = new("--csv") { Description = "Print the results as CSV" };

    public static Command Create()
    {
        var vote = new Command("vote", "Elections: registered voters, signed encrypted ballots, receipts, public board, results");

        var init = new Command("init", "Create an election: its keys, voter list and database") { Election, Candidates, MaxScore, Names, AllowRevote, Database, VerifiableCommandDefinition.Verifiable, VerifiableCommandDefinition.Guardians, VerifiableCommandDefinition.Quorum };
        init.SetAction((parse, ct) => VoteCli.RunAsync(parse, "init", home => parse.GetValue(VerifiableCommandDefinition.Verifiable) ? VerifiableCommands.InitAsync(parse, home) : VoteAdminCommands.InitAsync(parse, home, ct)));

        var register = new Command("register", "Register voters ahead of the election: a key pair and a credential file each") { Election, VotersFile, Count, Out };
        register.SetAction((parse, ct) => VoteCli.RunAsync(parse, "register", home => VerifiableCommands.IsVerifiable(parse, home) ? VerifiableCommands.RegisterAsync(parse, home) : VoteAdminCommands.RegisterAsync(parse, home, ct)));

        var serve = new Command("serve", "Serve an election (also the original design's form: vote serve ELECTION N PORT); machines with a code from safewire invite join it as voters") { Election, SeedCandidates, SeedPort, Port, Bind, MaxClients, Trust.ServerNames.DnsOption, SuiteOption.Server };
        VoteServeCommand.CaPassword.AddTo(serve);
        serve.SetAction((parse, ct) => VoteCli.RunAsync(parse, "serve", home => VerifiableCommands.IsVerifiable(parse, home) ? VerifiableCommands.ServeAsync(parse, home, ct) : VoteServeCommand.RunAsync(parse, home, ct)));

        var cast = new Command("cast", "Cast a ballot: yes + receipt, or no + reason (a corrected ballot may follow)") { Server, Credential, BallotText, VoterId, ReceiptOut, ServerName, VerifiableCommandDefinition.ChallengeOut, VerifiableCommandDefinition.JointKeyPin, SuiteOption.Client };
        cast.SetAction((parse, ct) => VoteCli.RunAsync(parse, "cast", home => VerifiableCommands.IsVerifiableCredential(parse) ? VerifiableCommands.CastAsync(parse, home, ct) : VoteCastCommand.RunAsync(parse, home, ct)));

        var client = VoteClientAlias.Create();
        client.SetAction((parse, ct) => VoteCli.RunAsync(parse, "client", home => VoteClientAlias.RunAsync(parse, home, ct)));

        var board = new Command("board", "Print the public board (every receipt, hash-chained) and check its chain") { BoardSource, BoardCredential, SuiteOption.Client };
        board.SetAction((parse, ct) => VoteCli.RunAsync(parse, "board", home => VoteBoardCommands.BoardAsync(parse, home, ct)));

        var verify = new Command("verify-receipt", "Check that a receipt's ballot is on the board, unchanged, and that the chain is intact") { ReceiptFile, BoardFrom, SuiteOption.Client };
        verify.SetAction((parse, ct) => VoteCli.RunAsync(parse, "verify-receipt", home => VoteBoardCommands.VerifyReceiptAsync(parse, home, ct)));

        var close = new Command("close", "Close an election: no more ballots; results become available") { Election };
        close.SetAction((parse, ct) => VoteCli.RunAsync(parse, "close", home => VerifiableCommands.IsVerifiable(parse, home) ? VerifiableCommands.CloseAsync(parse, home) : VoteAdminCommands.CloseAsync(parse, home, ct)));

        var results = new Command("results", "Results of a closed election: per candidate scores, sum, mean and * count") { Election, Json, Csv };
        results.SetAction((parse, ct) => VoteCli.RunAsync(parse, "results", home => VoteAdminCommands.ResultsAsync(parse, home, ct)));

        foreach (var command in new[] { init, register, serve, cast, client, board, verify, close, results }.Concat(VerifiableCommandDefinition.Commands()))
        {
            vote.Subcommands.Add(command);
        }

        return vote;
    }
}
