using System.CommandLine;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Voting;
using SafeWire.Voting.Protocol;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>
/// <c>vote cast HOST:PORT [--credential FILE] [--ballot B] [--id ID]</c>: the voter's client (the original design's
/// client). Without a credential file, the voter is this home's identity as it joined HOST with a code from
/// <c>safewire invite</c>: its certificate is presented, its key signs, and the election's public keys come from the
/// server, whose certificate is checked against the CA the join pinned.
/// </summary>
internal static class VoteCastCommand
{
    public static Task<int> RunAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var target = parse.GetRequiredValue(VoteCommandDefinition.Server);
        if (parse.GetValue(VoteCommandDefinition.Credential) is not { } credential)
        {
            return CastAsJoinedAsync(parse, target, parse.GetValue(VoteCommandDefinition.VoterId), home, cancellationToken);
        }

        if (parse.GetValue(VerifiableCommandDefinition.ChallengeOut) is not null || parse.GetValue(VerifiableCommandDefinition.JointKeyPin) is not null)
        {
            throw new VotingException($"--challenge and --joint-key are for verifiable elections, and {credential.Name} is a credential of the original mode.");
        }

        return CastAsync(parse, target, credential.FullName, parse.GetValue(VoteCommandDefinition.VoterId), home, cancellationToken);
    }

    /// <summary>True when this home joined <paramref name="host"/> with a code (so it can vote there without a credential file).</summary>
    public static bool HasJoined(SafeWireHome home, string host) => new TrustedServers(home).Lookup(host) is not null;

    /// <summary>The voter is this home's identity, with the certificate it got when it joined the server's host.</summary>
    public static async Task<int> CastAsJoinedAsync(ParseResult parse, string target, string? id, SafeWireHome home, CancellationToken cancellationToken)
    {
        var (host, port) = HostPort.TryParse(target, defaultPort: null, out var endpoint) ? endpoint : throw new VotingException($"Expected HOST:PORT, got \"{target}\".");
        var trusted = new TrustedServers(home);
        var binding = trusted.Lookup(host)
            ?? throw new VotingException($"No --credential given, and this home has not joined {host}: run safewire join CODE with the code from the server's safewire invite, or give the credential file from vote register.");
        var identity = HomeIdentity.Open(home);
        using var clientCredential = JoinedCredential(identity, binding, host);
        var voterId = id ?? HomeIdentity.CommonName(clientCredential.Certificate!);
        Identifiers.EnsureValid(voterId, "voter ID");
        var serverName = parse.GetValue(VoteCommandDefinition.ServerName) ?? host;
        var verifier = trusted.VerifierFor(host)!;

        ElectionInfoMessage? info;
        Voting.Verifiable.ElectionRecordJson? verifiable;
        try
        {
            // The server judges the certificate at the end of the handshake: a refusal arrives with the first answer.
            await using var first = await VoteTransport.ConnectAsync(host, port, Options(parse, verifier, serverName, clientCredential), VoteTransport.BusyAttempts, Busy, cancellationToken);
            (info, verifiable) = await VoteClient.ReadAnyElectionInfoAsync(first, cancellationToken);
        }
        catch (Transport.SecureChannelException e) when (e.SentByPeer && e.TrustFailure == TrustFailureReason.Revoked)
        {
            throw new VotingException("The voting server refused this home's certificate: it has been revoked by the server's administrator; ask them for a new code (safewire invite) if that was a mistake.", e);
        }

        using var voterKey = identity.LoadOrCreateKey() as ECDsa
            ?? throw new VotingException($"This home's key ({identity.KeyPath}) is not an ECDSA key, which a voter signs with; vote with a credential file from vote register.");
        if (verifiable is not null)
        {
            // A verifiable election: the public election came over the channel checked against the pinned CA; the ballot is
            // encrypted under its joint key and signed with this home's key, registered as the voter's key at the join.
            CliConsole.Out.WriteLine($"connected to {target}; voter {voterId} (this home's key {identity.Fingerprint()})");
            var verifiableReceipt = parse.GetValue(VoteCommandDefinition.ReceiptOut)?.FullName
                ?? Path.Combine(home.Root, "receipts", $"{verifiable.Manifest.Name}.{voterId}.receipt");
            return await VerifiableCommands.CastAsync(parse, target, verifiable, voterId, voterKey, _ => Options(parse, verifier, serverName, clientCredential), verifiableReceipt, cancellationToken);
        }

        if (parse.GetValue(VerifiableCommandDefinition.ChallengeOut) is not null || parse.GetValue(VerifiableCommandDefinition.JointKeyPin) is not null)
        {
            throw new VotingException($"--challenge and --joint-key are for verifiable elections, and {target} serves election {info!.Election} in the original mode.");
        }

        using var electionKey = RSA.Create();
        using var receiptKey = ECDsa.Create();
        try
        {
            electionKey.ImportSubjectPublicKeyInfo(info!.ElectionKey, out _);
            receiptKey.ImportSubjectPublicKeyInfo(info.ReceiptKey, out _);
        }
        catch (CryptographicException e)
        {
            throw new VotingException($"The server sent unreadable election keys: {e.Message}", e);
        }

        await using var stream = await VoteTransport.ConnectAsync(host, port, Options(parse, verifier, serverName, clientCredential), VoteTransport.BusyAttempts, Busy, cancellationToken);
        CliConsole.Out.WriteLine($"connected to {target} ({stream.RemoteIdentity?.Name}, {stream.CipherSuite}); voter {voterId} (this home's key {identity.Fingerprint()}), election {info.Election}");
        var result = await VoteClient.CastAsync(stream, info.Election, voterKey, electionKey, receiptKey, voterId, (no, ct) => NextBallotAsync(parse, no, ct), cancellationToken);
        var receiptPath = parse.GetValue(VoteCommandDefinition.ReceiptOut)?.FullName
            ?? Path.Combine(home.Root, "receipts", $"{info.Election}.{voterId}.receipt");
        return Report(result, () => ReceiptFile.From(result.Receipt!, receiptKey.ExportSubjectPublicKeyInfoPem(), File.ReadAllText(binding.CaCertificatePath), voterId, target), receiptPath);
    }

    private static LocalCredential JoinedCredential(HomeIdentity identity, ServerBinding binding, string host)
    {
        var now = identity.Home.Time.GetUtcNow();
        System.Security.Cryptography.X509Certificates.X509Certificate2? chosen = null;
        foreach (var held in identity.Certificates())
        {
            if (chosen is null && held.Role == PeerRole.Client && held.CaFingerprint == binding.CaTag && held.Certificate.NotAfter > now)
            {
                chosen = held.Certificate;
                continue;
            }

            held.Certificate.Dispose();
        }

        if (chosen is null)
        {
            throw new VotingException($"This home joined {host}, but holds no current client certificate from its CA; ask for a new code (safewire invite NAME) and run safewire join CODE again.");
        }

        return LocalCredential.FromCertificate(chosen, identity.LoadOrCreateKey());
    }

    /// <summary>The channel settings of a voter's connection: server trust and name, a certificate if joined, the --suite offered.</summary>
    private static Transport.SecureClientOptions Options(ParseResult parse, IPeerVerifier verifier, string serverName, LocalCredential? clientCredential) => new()
    {
        ServerVerifier = verifier,
        ServerName = serverName,
        ClientCredential = clientCredential,
        CipherSuites = SuiteOption.Get(parse, SuiteOption.Client),
    };

    private static void Busy(Transport.SecureChannelException busy, TimeSpan wait) =>
        CliConsole.Error.WriteLine($"{busy.Message} Retrying in {wait.TotalSeconds:0.0} s.");

    /// <summary>The voter's client: connect to <paramref name="target"/>, cast the ballot, save the receipt.</summary>
    public static async Task<int> CastAsync(ParseResult parse, string target, string credentialPath, string? id, SafeWireHome home, CancellationToken cancellationToken)
    {
        var (host, port) = HostPort.TryParse(target, defaultPort: null, out var endpoint) ? endpoint : throw new VotingException($"Expected HOST:PORT, got \"{target}\".");
        var credential = VoterCredential.Load(credentialPath);
        var voterId = id ?? credential.VoterId;
        Identifiers.EnsureValid(voterId, "voter ID");
        var receiptPath = parse.GetValue(VoteCommandDefinition.ReceiptOut)?.FullName ?? Path.ChangeExtension(credentialPath, ".receipt");

        var verifier = VoteTransport.ServerVerifier(credential.CaCertificate, home);
        await using var stream = await VoteTransport.ConnectAsync(
            host,
            port,
            Options(parse, verifier, parse.GetValue(VoteCommandDefinition.ServerName) ?? host, null),
            VoteTransport.BusyAttempts,
            (busy, wait) => CliConsole.Error.WriteLine($"{busy.Message} Retrying in {wait.TotalSeconds:0.0} s."),
            cancellationToken);
        CliConsole.Out.WriteLine($"connected to {target} ({stream.RemoteIdentity?.Name}, {stream.CipherSuite}); voter {voterId}, election {credential.Election}");

        var result = await VoteClient.CastAsync(stream, credential, voterId, (no, ct) => NextBallotAsync(parse, no, ct), cancellationToken);
        return Report(result, () => ReceiptFile.From(result.Receipt!, credential, voterId, target), receiptPath);
    }

    private static async ValueTask<string?> NextBallotAsync(ParseResult parse, NoMessage? no, CancellationToken cancellationToken)
    {
        var firstBallot = parse.GetValue(VoteCommandDefinition.BallotText);
        if (no is null && firstBallot is not null)
        {
            return firstBallot;
        }

        if (no is not null)
        {
            CliConsole.Out.WriteLine($"no: {no.Reason}");
            CliConsole.Out.WriteLine("enter a corrected ballot (empty line or end of input to give up):");
        }
        else
        {
            CliConsole.Out.WriteLine("enter your ballot (one score or * per candidate, e.g. 45432*3):");
        }

        var line = await CliConsole.In.ReadLineAsync(cancellationToken);
        return string.IsNullOrWhiteSpace(line) ? null : line.Trim();
    }

    private static int Report(CastResult result, Func<ReceiptFile> receiptFile, string receiptPath)
    {
        if (result.Receipt is { } receipt)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(receiptPath)!);
            receiptFile().Save(receiptPath);
            CliConsole.Out.WriteLine($"yes: ballot counted in election {receipt.Election} (board entry #{receipt.Sequence})");
            if (result.SameAsEarlierBallot)
            {
                CliConsole.Out.WriteLine("(this exact ballot was already counted for you: the receipt is the earlier one)");
            }

            CliConsole.Out.WriteLine($"receipt saved to {receiptPath}; check it any time with: safewire vote verify-receipt {receiptPath}");
            return 0;
        }

        CliConsole.Error.WriteLine($"no: {result.Reason}{(result.Refusal?.AllowsRetry() == true ? " (no corrected ballot given)" : "")}");
        return VoteCli.ExitRefused;
    }
}
