using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using SafeWire.Enrollment;
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

    /// <summary>The CA key's password: the server's certificate and those of machines that join are issued with it.</summary>
    public static readonly PasswordOptions CaPassword = new("the home CA's key (to issue this server's certificate and certificates for voters who join)", "--ca-password-file", "--ask-ca-password");

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
        var (issued, caPassword) = Trust.ServerCredentials.Load(
            home, parse, CaPassword, ServerCredentialName, Trust.ServerNames.DnsNames(parse), address, m => new VotingException(m));

        using var serverCredential = issued;
        using var electionKey = files.LoadElectionKey();
        using var receiptKey = files.LoadReceiptKey();
        var voters = files.LoadVoters();
        await using var store = BallotStore.Open(files.DatabaseTarget);
        if (await store.GetStateAsync(definition.Name, cancellationToken) == ElectionState.Closed)
        {
            throw new VotingException($"Election {definition.Name} is closed.");
        }

        var server = new VoteServer(
            new ElectionContext(definition, electionKey, voters) { ReceiptPublicKey = receiptKey.ExportSubjectPublicKeyInfo() },
            store,
            (sequence, ballotHash, boardHead) => Receipt.Sign(receiptKey, definition.Name, sequence, ballotHash, boardHead));

        // Admission is the listener's: a voter takes one of the --max-clients places only once its handshake is done;
        // silent or slow connections are limited per address, timed out, and logged as one summary line per interval.
        var admission = new AdmissionOptions { MaxConnections = maxClients, Log = CliConsole.Out.WriteLine };
        // Joins: a machine with a code from safewire invite gets a certificate from this home's CA and is registered as
        // a voter under the invitation's name; from then on it must show that certificate (revoking it shuts it out).
        using var enrollment = VoterEnrollment(home, caPassword, voters, files.VotersPath, definition.Name);
        var options = new SecureServerOptions
        {
            ServerCredential = serverCredential,
            ClientVerifier = EnrollmentServer.Gate(home.CreateCaVerifier()),
            RequireClientCredential = false, // voters with a credential file present nothing; joined voters their certificate
            JoinHandler = enrollment.HandleAsync,
            CipherSuites = SuiteOption.Get(parse, SuiteOption.Server),
        };
        await using var listener = new SecureListener(new IPEndPoint(address, port), options, admission);
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

        await listener.ServeAsync((connection, stopping) => ServeAsync(server, voters, connection, stopping), cancellationToken);
        await listener.DisposeAsync();
        CliConsole.Out.WriteLine("server stopped");
        return 0;
    }

    /// <summary>One authenticated voter's exchange; the listener disposes the connection and frees its place afterwards.</summary>
    private static async Task ServeAsync(VoteServer server, VoterRegistry voters, AcceptedConnection connection, CancellationToken cancellationToken)
    {
        var remote = connection.RemoteEndPoint.ToString();
        var stream = connection.Stream;
        var presented = stream.RemoteIdentity?.SubjectPublicKeyInfo;
        try
        {
            var report = await server.HandleConnectionAsync(stream, id => AdmitOnConnection(voters, id, presented), cancellationToken);
            try
            {
                await stream.ShutdownAsync(cancellationToken);
            }
            catch (IOException)
            {
                // The voter already hung up (after "ok"); nothing is lost.
            }
            CliConsole.Out.WriteLine($"{remote}: {(report.VoterId is { } voter ? $"voter {voter}: " : "")}{report.Outcome}{(report.Sequence is { } s ? $" (board #{s})" : "")}");
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

    /// <summary>
    /// The join handler of a voting server (either mode): a machine with a client code from safewire invite gets a
    /// certificate from this home's CA and is registered, before it hears of it, as voter NAME of
    /// <paramref name="election"/> (voters.csv at <paramref name="votersPath"/> and the joined list beside it), served at once.
    /// </summary>
    internal static EnrollmentServer VoterEnrollment(SafeWireHome home, string? caPassword, VoterRegistry voters, string votersPath, string election)
    {
        var enrollment = new EnrollmentServer(home, new EnrollmentServerOptions
        {
            CaPassword = caPassword,
            Admit = (invitation, client) => AdmitVoter(voters, election, invitation, client),
            Joined = (invitation, client) =>
            {
                if (invitation.Role == "client")
                {
                    voters.AddJoined(votersPath, invitation.Name, client.SubjectPublicKeyInfo);
                }
            },
        });
        enrollment.Completed += e => CliConsole.Out.WriteLine(e.Error is null && e.Name is not null && voters.IsJoined(e.Name)
            ? $"{e.Message}; registered as voter {e.Name} in election {election}"
            : e.Message);
        return enrollment;
    }

    /// <summary>Before a join uses its code: the name must be free in the election and the key one a voter can sign with.</summary>
    private static string? AdmitVoter(VoterRegistry voters, string election, Invitation invitation, PeerIdentity client)
    {
        if (invitation.Role != "client")
        {
            return null;
        }

        if (voters.IsRegistered(invitation.Name))
        {
            return $"election {election} already has a voter named {invitation.Name}; ask for a code with another name (safewire invite OTHER_NAME)";
        }

        return VoterRegistry.CheckVoterKey(client.SubjectPublicKeyInfo) is { } problem
            ? $"{problem}, and this machine's key is not; create the home with the default key type"
            : null;
    }

    /// <summary>A voter registered by a join is served only on a connection where it showed its certificate (checked against the CA and its CRL in the handshake).</summary>
    internal static string? AdmitOnConnection(VoterRegistry voters, string voterId, byte[]? presented)
    {
        if (!voters.IsJoined(voterId))
        {
            return null;
        }

        var registered = voters.PublicKeyOf(voterId);
        return presented is not null && registered is not null && presented.AsSpan().SequenceEqual(registered)
            ? null
            : $"voter {voterId} joined with a code and must connect with the certificate it got then (safewire vote cast does when it runs in that home)";
    }
}
