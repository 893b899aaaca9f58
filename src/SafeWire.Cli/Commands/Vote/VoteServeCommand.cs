using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using SafeWire.Identity;
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
        IPAddress[] ips = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(address)
            ? [IPAddress.Loopback, IPAddress.IPv6Loopback]
            : [address, IPAddress.Loopback, IPAddress.IPv6Loopback];
        using var serverCredential = home.LoadOrCreateServerCredential(ServerCredentialName, ["localhost", Dns.GetHostName()], ips);
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

        var listener = new TcpListener(address, port);
        try
        {
            listener.Start(backlog: 512);
        }
        catch (SocketException e)
        {
            throw new VotingException($"Cannot listen on {address}:{port}: {e.Message}", e);
        }

        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        CliConsole.Out.WriteLine($"serving election {definition.Name} ({definition.Candidates} candidates, scores 0-{definition.MaxScore}, {voters.Count} registered voters) on {endpoint}");
        CliConsole.Out.WriteLine($"database: {BallotStore.Describe(files.DatabaseTarget)}; certificate: {serverCredential.Fingerprint}; press Ctrl+C to stop");

        using var slots = new SemaphoreSlim(maxClients, maxClients);
        var running = new HashSet<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                if (!slots.Wait(0, CancellationToken.None))
                {
                    CliConsole.Out.WriteLine($"{client.Client.RemoteEndPoint}: refused, {maxClients} clients already connected");
                    client.Dispose();
                    continue;
                }

                var task = ServeAsync(server, serverCredential, client, slots, cancellationToken);
                lock (running)
                {
                    running.Add(task);
                }

                _ = task.ContinueWith(t => { lock (running) { running.Remove(t); } }, TaskScheduler.Default);
            }
        }
        finally
        {
            listener.Stop();
            Task[] pending;
            lock (running)
            {
                pending = [.. running];
            }

            await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
        }

        CliConsole.Out.WriteLine("server stopped");
        return 0;
    }

    /// <summary>One connection's whole life: serve, log the outcome, always dispose and free the slot.</summary>
    private static async Task ServeAsync(VoteServer server, LocalCredential credential, TcpClient client, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            client.NoDelay = true;
            await using var stream = await VoteTransport.AcceptAsync(client.GetStream(), credential, cancellationToken);
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
            // A failed handshake, a lost connection or a database error ends this connection only.
            await CliConsole.Error.WriteLineAsync($"{remote}: connection failed: {CliErrors.Describe(e)}");
        }
        finally
        {
            client.Dispose();
            slots.Release();
        }
    }
}
