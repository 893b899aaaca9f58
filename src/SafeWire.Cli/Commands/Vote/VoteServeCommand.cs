using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using SafeWire.Identity;
using SafeWire.Transport;
using SafeWire.Voting;
using SafeWire.Voting.Protocol;
using SafeWire.Voting.Storage;

namespace SafeWire.Cli.Commands.Vote;

/// <summary><c>vote serve ELECTION [N PORT] [--port P]</c>: the concurrent voting server.</summary>
internal static class VoteServeCommand
{
    public const int DefaultPort = 10107;

    /// <summary>certs/vote-server.crt in the home: the voting server's certificate.</summary>
    public const string ServerCredentialName = "vote-server";

    public static async Task<int> RunAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var files = ElectionFiles.Open(home.Root, parse.GetRequiredValue(VoteCommandDefinition.Election));
        var definition = files.Definition;
        var seedCandidates = parse.GetValue(VoteCommandDefinition.SeedCandidates);
        var seedPort = parse.GetValue(VoteCommandDefinition.SeedPort);
        var optionPort = parse.GetValue(VoteCommandDefinition.Port);
        if (seedCandidates is { } n && n != definition.Candidates)
        {
            throw new VotingException($"Election {definition.Name} has {definition.Candidates} candidates, not {n}.");
        }

        if (seedPort is not null && optionPort is not null && seedPort != optionPort)
        {
            throw new VotingException($"Two different ports given: {seedPort} and --port {optionPort}.");
        }

        var port = seedPort ?? optionPort ?? DefaultPort;
        if (port is < 0 or > 65535)
        {
            throw new VotingException($"Port {port} is out of range.");
        }

        if (!IPAddress.TryParse(parse.GetValue(VoteCommandDefinition.Bind), out var address))
        {
            throw new VotingException($"--bind needs an IP address, got \"{parse.GetValue(VoteCommandDefinition.Bind)}\".");
        }

        var maxClients = parse.GetValue(VoteCommandDefinition.MaxClients);
        if (maxClients < 1)
        {
            throw new VotingException("--max-clients must be at least 1.");
        }

        // The channel authenticates the server: a certificate from this home's CA (the CA voters got in their credentials).
        using var serverCredential = home.LoadOrCreateServerCredential(ServerCredentialName, Trust.ServerNames.DnsNames(parse), Trust.ServerNames.Addresses(address));
        using var electionKey = files.LoadElectionKey();
        using var receiptKey = files.LoadReceiptKey();
        var voters = files.LoadVoters();
        await using var store = BallotStore.Open(files.DatabaseTarget);
        if (await store.GetStateAsync(definition.Name, cancellationToken) == ElectionState.Closed)
        {
            throw new VotingException($"Election {definition.Name} is closed.");
        }

        var server = new VoteServer(
            new ElectionContext(definition, electionKey, voters),
            store,
            (sequence, ballotHash, boardHead) => Receipt.Sign(receiptKey, definition.Name, sequence, ballotHash, boardHead));

        // Admission is the listener's: a voter takes one of the --max-clients places only once its handshake is done;
        // silent or slow connections are limited per address, timed out, and logged as one summary line per interval.
        var admission = new AdmissionOptions { MaxConnections = maxClients, Log = CliConsole.Out.WriteLine };
        await using var listener = VoteTransport.CreateListener(new IPEndPoint(address, port), serverCredential, admission);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new VotingException($"Cannot listen on {address}:{port}: {e.Message}", e);
        }

        var endpoint = listener.LocalEndPoint;
        CliConsole.Out.WriteLine($"serving election {definition.Name} ({definition.Candidates} candidates, scores 0-{definition.MaxScore}, {voters.Count} registered voters) on {endpoint}");
        CliConsole.Out.WriteLine($"database: {BallotStore.Describe(files.DatabaseTarget)}; certificate: {serverCredential.Fingerprint}; press Ctrl+C to stop");

        await listener.ServeAsync((connection, stopping) => ServeAsync(server, connection, stopping), cancellationToken);
        await listener.DisposeAsync();
        CliConsole.Out.WriteLine("server stopped");
        return 0;
    }

    /// <summary>One authenticated voter's exchange; the listener disposes the connection and frees its place afterwards.</summary>
    private static async Task ServeAsync(VoteServer server, AcceptedConnection connection, CancellationToken cancellationToken)
    {
        var remote = connection.RemoteEndPoint.ToString();
        var stream = connection.Stream;
        try
        {
            var report = await server.HandleConnectionAsync(stream, cancellationToken);
            try
            {
                await stream.ShutdownAsync(cancellationToken);
            }
            catch (IOException)
            {
                // The voter already hung up (after "ok"); nothing is lost.
            }
            CliConsole.Out.WriteLine($"{remote}: voter {report.VoterId ?? "-"}: {report.Outcome}{(report.Sequence is { } s ? $" (board #{s})" : "")}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A lost connection or a database error ends this connection only.
            await CliConsole.Error.WriteLineAsync($"{remote}: connection failed: {CliErrors.Describe(e)}");
        }
    }
}
