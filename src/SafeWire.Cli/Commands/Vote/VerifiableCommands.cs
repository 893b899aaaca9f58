using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Transport;
using SafeWire.Voting;
using SafeWire.Voting.Verifiable;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>The verifiable mode's verbs: the authority's, the guardians', the server's, the voter's and anyone's (verify).</summary>
internal static class VerifiableCommands
{
    /// <summary>True when the ELECTION argument names a verifiable election in this home.</summary>
    public static bool IsVerifiable(ParseResult parse, SafeWireHome home) =>
        VerifiableElectionFiles.Exists(home.Root, parse.GetRequiredValue(VoteCommandDefinition.Election));

    /// <summary>True when the --credential file is a verifiable-mode credential.</summary>
    public static bool IsVerifiableCredential(ParseResult parse)
    {
        var path = parse.GetValue(VoteCommandDefinition.Credential)?.FullName;
        try
        {
            return path is not null && File.Exists(path) && File.ReadAllText(path).Contains(VerifiableFormats.Credential, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    // ---- the election authority ----

    public static Task<int> InitAsync(ParseResult parse, SafeWireHome home)
    {
        var name = parse.GetRequiredValue(VoteCommandDefinition.Election);
        var candidates = parse.GetValue(VoteCommandDefinition.Candidates);
        var names = parse.GetValue(VoteCommandDefinition.Names);
        if (parse.GetValue(VoteCommandDefinition.AllowRevote) || parse.GetValue(VoteCommandDefinition.Database) is not null)
        {
            throw new VotingException("--allow-revote and --db are not available in verifiable mode.");
        }

        var definition = new ElectionDefinition
        {
            Name = name,
            Candidates = candidates,
            MaxScore = parse.GetValue(VoteCommandDefinition.MaxScore),
            CandidateNames = names is null ? [] : names.Split(',', StringSplitOptions.TrimEntries),
        };
        definition.Validate();
        var manifest = new VerifiableManifest
        {
            Name = name,
            Candidates = candidates,
            MaxScore = definition.MaxScore,
            CandidateNames = [.. Enumerable.Range(0, candidates).Select(definition.CandidateName)],
        };
        var guardians = parse.GetValue(VerifiableCommandDefinition.Guardians);
        var quorum = parse.GetValue(VerifiableCommandDefinition.Quorum);
        var files = VerifiableElectionFiles.Create(home.Root, ElectionSetup.Create(manifest, guardians, quorum));
        using (new VerifiableBallotStore(files.DatabasePath))
        {
        }

        Console.WriteLine($"verifiable election {name} created: {candidates} candidates, scores 0-{manifest.MaxScore}, {guardians} guardians, quorum {quorum}");
        Console.WriteLine($"  folder: {files.Directory}");
        Console.WriteLine($"next: each guardian runs, in its own home: safewire vote guardian create {name} --index I --guardians {guardians} --quorum {quorum} --out KEYS");
        Console.WriteLine($"then: safewire vote joint-key {name} --keys KEYS");
        return Task.FromResult(0);
    }

    public static Task<int> JointKey(SafeWireHome home, string election, string keysDirectory)
    {
        var files = VerifiableElectionFiles.Open(home.Root, election);
        var keys = ReadGuardianKeys(keysDirectory);
        files.SetJointKey(keys);
        Console.WriteLine($"joint key of election {election} fixed from {keys.Count} guardians (every commitment proof checked)");
        Console.WriteLine($"  key fingerprint: {KeyFingerprint(files.Election.JointKey!)} (each guardian's accept prints the same)");
        Console.WriteLine($"next: safewire vote register {election} --count K --out DIR");
        return Task.FromResult(0);
    }

    public static Task<int> RegisterAsync(ParseResult parse, SafeWireHome home)
    {
        var files = VerifiableElectionFiles.Open(home.Root, parse.GetRequiredValue(VoteCommandDefinition.Election));
        var (ids, outDirectory) = VoteAdminCommands.VotersToRegister(parse, count => files.LoadVoters().NextNumericIds(count));
        var credentials = files.Register([.. ids], VoteTransport.CaCertificatePem(home));
        foreach (var credential in credentials)
        {
            VerifiableFiles.Save(Path.Combine(outDirectory, credential.VoterId + ".cred"), credential, VerifiableJsonTypes.Credential, isPrivate: true);
        }

        Console.WriteLine($"registered {credentials.Count} voter{(credentials.Count == 1 ? "" : "s")} in verifiable election {files.Name}");
        Console.WriteLine($"credentials (private, hand each to its voter): {outDirectory}/<voter_id>.cred");
        return Task.FromResult(0);
    }

    public static Task<int> CloseAsync(ParseResult parse, SafeWireHome home)
    {
        var files = VerifiableElectionFiles.Open(home.Root, parse.GetRequiredValue(VoteCommandDefinition.Election));
        var context = ElectionSetup.Open(files.Election);
        using var store = new VerifiableBallotStore(files.DatabasePath);
        store.Close();
        var ballots = store.ReadAll();
        var sums = TallyDecryption.Accumulate(context.Group, context.Manifest.Candidates, ballots.Select(BallotEncryption.Ciphertexts));
        var tally = new TallyJson
        {
            Election = files.Name,
            Ballots = ballots.Count,
            Encrypted = [.. sums.Select(BallotEncryption.ToJson)],
        };
        ElectionRecord.Write(files.RecordPath, files.Election, files.LoadGuardians(), files.VotersForRecord(), ballots, tally);
        Console.WriteLine($"election {files.Name} closed: {ballots.Count} ballot{(ballots.Count == 1 ? "" : "s")} recorded; encrypted tally written to {files.RecordPath}");
        Console.WriteLine($"next: at least {files.Election.Quorum} guardians run: safewire vote guardian decrypt {files.Name} --record {files.RecordPath} --out PARTIALS/guardian-I.json");
        Console.WriteLine($"then: safewire vote publish {files.Name} --partials PARTIALS");
        return Task.FromResult(0);
    }

    public static Task<int> Publish(SafeWireHome home, string election, string partialsDirectory, string? outDirectory)
    {
        var files = VerifiableElectionFiles.Open(home.Root, election);
        var context = ElectionSetup.Open(files.Election);
        var ballots = ElectionRecord.ReadBallots(Path.Combine(files.RecordPath, ElectionRecord.BallotsFile));
        var partialFiles = Directory.Exists(partialsDirectory) ? Directory.GetFiles(partialsDirectory, "*.json").Order(StringComparer.Ordinal).ToList() : [];
        var partials = partialFiles.Select(f => ElectionRecord.Read(f, VerifiableJsonTypes.Partial)).ToList();
        var guardians = files.LoadGuardians();
        var sums = TallyDecryption.Accumulate(context.Group, context.Manifest.Candidates, ballots.Select(BallotEncryption.Ciphertexts));
        var tally = TallyDecryption.Finish(context, files.Election, guardians, sums, ballots.Count, partials);
        var target = outDirectory ?? files.RecordPath;
        ElectionRecord.Write(target, files.Election, guardians, files.VotersForRecord(), ballots, tally);
        Console.WriteLine($"election record of {election} written to {target} ({ballots.Count} ballots, decrypted by guardians {string.Join(", ", tally.Partials!.Select(p => p.Guardian))})");
        PrintResult(tally.Result!, ballots.Count);
        Console.WriteLine($"anyone can check it: safewire vote verify {target}");
        return Task.FromResult(0);
    }

    public static async Task<int> ServeAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var files = VerifiableElectionFiles.Open(home.Root, parse.GetRequiredValue(VoteCommandDefinition.Election));
        var context = ElectionSetup.Open(files.Election);
        var suites = SuiteOption.Get(parse, SuiteOption.Server);
        var port = parse.GetValue(VoteCommandDefinition.SeedPort) ?? parse.GetValue(VoteCommandDefinition.Port) ?? VoteServeCommand.DefaultPort;
        if (parse.GetValue(VoteCommandDefinition.SeedCandidates) is { } n && n != context.Manifest.Candidates)
        {
            throw new VotingException($"Election {files.Name} has {context.Manifest.Candidates} candidates, not {n}.");
        }

        if (port is < 0 or > 65535 || !IPAddress.TryParse(parse.GetValue(VoteCommandDefinition.Bind), out var address))
        {
            throw new VotingException("--port must be 0..65535 and --bind an IP address.");
        }

        var maxClients = Math.Max(1, parse.GetValue(VoteCommandDefinition.MaxClients));
        var (issued, caPassword) = Trust.ServerCredentials.Load(
            home, parse, VoteServeCommand.CaPassword, VoteServeCommand.ServerCredentialName, Trust.ServerNames.DnsNames(parse), address, m => new VotingException(m));
        using var credential = issued;
        var voters = files.LoadVoters();
        using var store = new VerifiableBallotStore(files.DatabasePath);
        if (store.IsClosed())
        {
            throw new VotingException($"Election {files.Name} is closed.");
        }

        // A voter without a credential file (one that joined with a code) asks for the public election on its first connection.
        var server = new VerifiableVoteServer(context, voters, store) { PublicElection = files.Election };

        // Joins: as in the original mode, a machine with a client code from safewire invite is registered as voter NAME
        // (its home key signs its ballots) and must show the certificate it got whenever it votes.
        using var enrollment = VoteServeCommand.VoterEnrollment(home, caPassword, voters, files.VotersPath, files.Name);
        var options = new SecureServerOptions
        {
            ServerCredential = credential,
            ClientVerifier = Enrollment.EnrollmentServer.Gate(home.CreateCaVerifier()),
            RequireClientCredential = false, // voters with a credential file present nothing; joined voters their certificate
            JoinHandler = enrollment.HandleAsync,
            CipherSuites = suites,
        };
        var admission = new AdmissionOptions { MaxConnections = maxClients, Log = CliConsole.Out.WriteLine };
        await using var listener = new SecureListener(new IPEndPoint(address, port), options, admission);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new VotingException($"Cannot listen on {address}:{port}: {e.Message}", e);
        }

        CliConsole.Out.WriteLine($"serving verifiable election {files.Name} ({context.Manifest.Candidates} candidates, scores 0-{context.Manifest.MaxScore}, {voters.Count} registered voters) on {listener.LocalEndPoint}");
        CliConsole.Out.WriteLine($"database: {files.DatabasePath} (encrypted ballots only); certificate: {credential.Fingerprint}; press Ctrl+C to stop");
        await listener.ServeAsync((connection, stopping) => ServeOneAsync(server, voters, connection, stopping), cancellationToken);
        await listener.DisposeAsync();
        CliConsole.Out.WriteLine("server stopped");
        return 0;
    }

    /// <summary>One voter's connection; the listener disposes it and frees its place afterwards.</summary>
    private static async Task ServeOneAsync(VerifiableVoteServer server, VoterRegistry voters, AcceptedConnection connection, CancellationToken cancellationToken)
    {
        var remote = connection.RemoteEndPoint.ToString();
        var stream = connection.Stream;
        var presented = stream.RemoteIdentity?.SubjectPublicKeyInfo;
        try
        {
            var report = await server.HandleConnectionAsync(stream, id => VoteServeCommand.AdmitOnConnection(voters, id, presented), cancellationToken);
            try
            {
                await stream.ShutdownAsync(cancellationToken);
            }
            catch (IOException)
            {
                // The voter already hung up after its receipt.
            }

            CliConsole.Out.WriteLine($"{remote}: {(report.VoterId is { } voter ? $"voter {voter}: " : "")}{report.Outcome}{(report.Sequence is { } s ? $" (ballot #{s})" : "")}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await CliConsole.Error.WriteLineAsync($"{remote}: connection failed: {CliErrors.Describe(e)}");
        }
    }

    // ---- the voter ----

    public static async Task<int> CastAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var credentialPath = parse.GetRequiredValue(VoteCommandDefinition.Credential)!.FullName;
        var credential = ElectionRecord.Read(credentialPath, VerifiableJsonTypes.Credential);
        if (credential.Format != VerifiableFormats.Credential)
        {
            throw new VotingException($"{credentialPath} is not a verifiable-mode credential.");
        }

        using var voterKey = ECDsa.Create();
        voterKey.ImportFromPem(credential.PrivateKey);
        var verifier = VoteTransport.ServerVerifier(credential.CaCertificate, home);
        var receiptPath = parse.GetValue(VoteCommandDefinition.ReceiptOut)?.FullName ?? Path.ChangeExtension(credentialPath, ".receipt");
        return await CastAsync(parse, parse.GetRequiredValue(VoteCommandDefinition.Server), credential.Election, credential.VoterId, voterKey,
            host => new SecureClientOptions { ServerVerifier = verifier, ServerName = parse.GetValue(VoteCommandDefinition.ServerName) ?? host, CipherSuites = SuiteOption.Get(parse, SuiteOption.Client) },
            receiptPath, cancellationToken);
    }

    /// <summary>
    /// Encrypts the typed ballot for <paramref name="election"/>, signs it with <paramref name="voterKey"/> as
    /// <paramref name="voterId"/>, and casts it to <paramref name="target"/> (HOST:PORT) or, with --challenge, saves it opened; <paramref name="channel"/> gives the
    /// channel settings for a host: a credential file's CA, or the CA and certificate of a home that joined with a code.
    /// </summary>
    internal static async Task<int> CastAsync(ParseResult parse, string target, ElectionRecordJson election, string voterId, ECDsa voterKey, Func<string, SecureClientOptions> channel, string receiptPath, CancellationToken cancellationToken)
    {
        var context = ElectionSetup.Open(election);
        var fingerprint = KeyFingerprint(election.JointKey!);
        if (parse.GetValue(VerifiableCommandDefinition.JointKeyPin) is { } pinned && !string.Equals(pinned.Trim(), fingerprint, StringComparison.OrdinalIgnoreCase))
        {
            throw new VotingException($"Election {context.Manifest.Name} has the joint key {fingerprint}, not {pinned.Trim()} as --joint-key says: nothing was sent; ask the election authority which key the guardians accepted.");
        }

        Console.WriteLine($"verifiable election {context.Manifest.Name}: joint key fingerprint {fingerprint} (every guardian's accept printed it)");
        var typed = parse.GetValue(VoteCommandDefinition.BallotText);
        if (typed is null)
        {
            Console.WriteLine($"enter your ballot (one score 0-{context.Manifest.MaxScore} or * per candidate, {context.Manifest.Candidates} candidates):");
            typed = (await Console.In.ReadLineAsync(cancellationToken))?.Trim();
            if (string.IsNullOrEmpty(typed))
            {
                throw new VotingException("No ballot given.");
            }
        }

        var ballotNonce = RandomNumberGenerator.GetBytes(32);
        EncryptedBallotJson ballot;
        try
        {
            ballot = BallotEncryption.Encrypt(context, voterId, typed, voterKey, ballotNonce);
        }
        catch (VotingException e)
        {
            await Console.Error.WriteLineAsync($"no: {e.Message.TrimEnd('.')} (nothing was sent)");
            return VoteCli.ExitRefused;
        }

        Console.WriteLine($"ballot encrypted; confirmation code {ballot.Code}");
        if (parse.GetValue(VerifiableCommandDefinition.ChallengeOut) is { } challengePath)
        {
            var challenge = new ChallengedBallotJson { Election = election, Ballot = ballot, BallotNonce = Convert.ToHexString(ballotNonce), Typed = typed };
            VerifiableFiles.Save(challengePath.FullName, challenge, VerifiableJsonTypes.Challenge, isPrivate: true, overwrite: true);
            Console.WriteLine($"challenged, not cast: the opened ballot is in {challengePath.FullName}");
            Console.WriteLine($"check it with: safewire vote verify-challenge {challengePath.FullName}   (then cast again: a fresh encryption)");
            return 0;
        }

        CryptographicOperations.ZeroMemory(ballotNonce);
        var (host, port) = HostPort.TryParse(target, defaultPort: null, out var endpoint) ? endpoint : throw new VotingException($"Expected HOST:PORT, got \"{target}\".");
        await using var stream = await VoteTransport.ConnectAsync(host, port, channel(host),
            VoteTransport.BusyAttempts, (busy, wait) => CliConsole.Error.WriteLine($"{busy.Message} Retrying in {wait.TotalSeconds:0.0} s."), cancellationToken);
        var (receipt, reason, _) = await VerifiableVoteClient.CastAsync(stream, ballot, cancellationToken);
        if (receipt is null)
        {
            await Console.Error.WriteLineAsync($"no: {reason}");
            return VoteCli.ExitRefused;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(receiptPath))!);
        VerifiableFiles.Save(receiptPath, receipt, VerifiableJsonTypes.Receipt, isPrivate: false, overwrite: true);
        Console.WriteLine($"yes: ballot recorded in election {receipt.Election} as #{receipt.Sequence}, confirmation code {receipt.Code}");
        Console.WriteLine($"receipt saved to {receiptPath}; once the record is published: safewire vote check-code RECORD {receiptPath}");
        return 0;
    }

    public static Task<int> VerifyChallenge(string path)
    {
        var challenge = ElectionRecord.Read(path, VerifiableJsonTypes.Challenge);
        if (challenge.Format != VerifiableFormats.Challenge)
        {
            throw new VotingException($"{path} is not a challenged ballot.");
        }

        var context = ElectionSetup.Open(challenge.Election);
        var nonce = Convert.FromHexString(challenge.BallotNonce);
        var problem = BallotEncryption.Check(context, challenge.Ballot, null)
            ?? BallotEncryption.CheckOpening(context, challenge.Ballot, nonce, challenge.Typed);
        if (problem is not null)
        {
            Console.WriteLine($"FAILED: the challenged ballot {challenge.Ballot.Code}: {problem}");
            Console.WriteLine("do not use this voting client: it did not encrypt what you typed");
            return Task.FromResult(VoteCli.ExitError);
        }

        Console.WriteLine($"ok: ballot {challenge.Ballot.Code} decrypts to {challenge.Typed}, and its proofs hold");
        for (var m = 0; m < context.Manifest.Candidates; m++)
        {
            var c = challenge.Typed[m];
            Console.WriteLine($"  {context.Manifest.CandidateNames[m]}: {(c == Ballot.NoScore ? "no score" : c.ToString())}");
        }

        return Task.FromResult(0);
    }

    public static Task<int> CheckCode(string record, string codeOrReceipt)
    {
        var code = File.Exists(codeOrReceipt) ? ElectionRecord.Read(codeOrReceipt, VerifiableJsonTypes.Receipt).Code : codeOrReceipt.Trim().ToUpperInvariant();
        var ballots = ElectionRecord.ReadBallots(Path.Combine(record, ElectionRecord.BallotsFile));
        var found = ballots.FirstOrDefault(b => b.Code == code);
        if (found is null)
        {
            Console.WriteLine($"NOT FOUND: confirmation code {code} is not on the record in {record} ({ballots.Count} ballots)");
            Console.WriteLine("your ballot is missing: report this, with your receipt, to the election authority and the observers");
            return Task.FromResult(VoteCli.ExitError);
        }

        Console.WriteLine($"ok: confirmation code {code} is on the record as ballot #{found.Sequence} (voter {found.VoterId})");
        Console.WriteLine($"that the record's tally counts it: safewire vote verify {record}");
        return Task.FromResult(0);
    }

    // ---- anyone ----

    public static Task<int> Verify(string record, IReadOnlyList<string> codes, IReadOnlyList<string> receipts)
    {
        var allCodes = codes.Concat(receipts.Select(r => ElectionRecord.Read(r, VerifiableJsonTypes.Receipt).Code)).ToList();
        var verification = ElectionRecord.Verify(record, allCodes, line => Console.WriteLine("  " + line));
        if (!verification.Ok)
        {
            Console.WriteLine($"FAILED: {verification.Failure}");
            return Task.FromResult(VoteCli.ExitError);
        }

        Console.WriteLine($"ok: the record verifies ({verification.Ballots} ballots{(allCodes.Count > 0 ? $", {allCodes.Count} confirmation code(s) present" : "")})");
        PrintResult(verification.Result!, verification.Ballots);
        return Task.FromResult(0);
    }

    // ---- the guardians (each in its own home) ----

    public static Task<int> GuardianCreate(SafeWireHome home, string election, int index, int guardians, int quorum, string? name, string outDirectory)
    {
        Identifiers.EnsureValid(election, "election name");
        var secretPath = GuardianSecretPath(home, election);
        if (File.Exists(secretPath))
        {
            throw new VotingException($"This home already holds a guardian of election {election} ({secretPath}).");
        }

        var (secret, publicKey) = KeyCeremony.CreateGuardian(election, index, name ?? $"Guardian {index}", guardians, quorum);
        VerifiableFiles.Save(secretPath, secret, VerifiableJsonTypes.GuardianSecret, isPrivate: true);
        var publicPath = Path.Combine(outDirectory, $"guardian-{index}.json");
        VerifiableFiles.Save(publicPath, publicKey, VerifiableJsonTypes.GuardianKey, isPrivate: false, overwrite: true);
        Console.WriteLine($"guardian {index} of {guardians} (quorum {quorum}) for election {election}: secret kept in {secretPath} (0600)");
        Console.WriteLine($"public key with proofs: {publicPath}");
        Console.WriteLine($"when every guardian's key is in that folder: safewire vote guardian share {election} --keys {outDirectory} --out SHARES");
        return Task.FromResult(0);
    }

    public static Task<int> GuardianShare(SafeWireHome home, string election, string keysDirectory, string outDirectory)
    {
        var secret = LoadGuardianSecret(home, election);
        var keys = KeyCeremony.CheckKeySet(ReadGuardianKeys(keysDirectory), election, secret.Guardians, secret.Quorum);
        CheckOwnKey(secret, keys);
        Directory.CreateDirectory(outDirectory);
        foreach (var key in keys.Where(k => k.Index != secret.Index))
        {
            var share = KeyCeremony.EncryptShare(secret, key);
            VerifiableFiles.Save(Path.Combine(outDirectory, $"share-{secret.Index}-to-{key.Index}.json"), share, VerifiableJsonTypes.Share, isPrivate: false, overwrite: true);
        }

        Console.WriteLine($"guardian {secret.Index}: all {keys.Count} guardian keys and their proofs check; {keys.Count - 1} encrypted shares written to {outDirectory}");
        return Task.FromResult(0);
    }

    public static Task<int> GuardianAccept(SafeWireHome home, string election, string keysDirectory, string sharesDirectory)
    {
        var secret = LoadGuardianSecret(home, election);
        var keys = KeyCeremony.CheckKeySet(ReadGuardianKeys(keysDirectory), election, secret.Guardians, secret.Quorum);
        CheckOwnKey(secret, keys);
        var group = ElectionGroup.Standard;
        var keyShare = KeyCeremony.Evaluate(group, [.. secret.Coefficients.Select(c => KeyCeremony.ParseScalarPublic(c))], secret.Index);
        foreach (var sender in keys.Where(k => k.Index != secret.Index))
        {
            var path = Path.Combine(sharesDirectory, $"share-{sender.Index}-to-{secret.Index}.json");
            if (!File.Exists(path))
            {
                throw new VotingException($"The share from guardian {sender.Index} is missing: {path}.");
            }

            keyShare = group.ModQ(keyShare + KeyCeremony.OpenShare(secret, sender, ElectionRecord.Read(path, VerifiableJsonTypes.Share)));
        }

        var jointKey = keys.Aggregate(BigInteger.One, (product, k) => group.Mul(product, KeyCeremony.ParseElementPublic(k.Commitments[0])));
        var jointKeyHex = ElectionGroup.ElementHex(jointKey);
        VerifiableFiles.Save(GuardianSecretPath(home, election), secret with { KeyShare = ElectionGroup.ScalarHex(keyShare), JointKey = jointKeyHex }, VerifiableJsonTypes.GuardianSecret, isPrivate: true, overwrite: true);
        Console.WriteLine($"guardian {secret.Index}: {keys.Count - 1} shares opened and checked against their commitments; key share kept");
        Console.WriteLine($"  joint key fingerprint: {KeyFingerprint(jointKeyHex)}");
        return Task.FromResult(0);
    }

    public static Task<int> GuardianDecrypt(SafeWireHome home, string election, string recordDirectory, string outFile)
    {
        var secret = LoadGuardianSecret(home, election);
        if (secret.KeyShare is null || secret.JointKey is null)
        {
            throw new VotingException($"Guardian {secret.Index} has no key share yet: run safewire vote guardian accept {election} first.");
        }

        var record = ElectionRecord.ReadElection(Path.Combine(recordDirectory, ElectionRecord.ElectionFile));
        if (record.Manifest?.Name != election || record.JointKey != secret.JointKey)
        {
            throw new VotingException("The record's election or joint key is not the one this guardian accepted: refusing to decrypt.");
        }

        var context = ElectionSetup.Open(record);
        // Decrypt only the product this guardian computes itself from the recorded ballots: never a single ballot.
        var ballots = ElectionRecord.ReadBallots(Path.Combine(recordDirectory, ElectionRecord.BallotsFile));
        var codes = new HashSet<string>(StringComparer.Ordinal);
        if (ballots.Any(b => b.Candidates is null || b.Candidates.Count != context.Manifest.Candidates || b.Candidates.Any(c => BallotEncryption.FromJson(c?.Ciphertext) is null) || !codes.Add(b.Code)))
        {
            throw new VotingException("The record's ballots are malformed or repeated: refusing to decrypt; run safewire vote verify on it.");
        }

        var sums = TallyDecryption.Accumulate(context.Group, context.Manifest.Candidates, ballots.Select(BallotEncryption.Ciphertexts));
        var partial = TallyDecryption.Decrypt(context, secret.Index, KeyCeremony.ParseScalarPublic(secret.KeyShare), sums);
        VerifiableFiles.Save(outFile, partial, VerifiableJsonTypes.Partial, isPrivate: false, overwrite: true);
        Console.WriteLine($"guardian {secret.Index}: partial decryption of the tally of {ballots.Count} ballots, with proofs, written to {outFile}");
        return Task.FromResult(0);
    }

    private static string GuardianSecretPath(SafeWireHome home, string election) =>
        Path.Combine(home.Root, "guardians", election, "guardian.json");

    private static GuardianSecretJson LoadGuardianSecret(SafeWireHome home, string election)
    {
        Identifiers.EnsureValid(election, "election name");
        var path = GuardianSecretPath(home, election);
        if (!File.Exists(path))
        {
            throw new VotingException($"This home holds no guardian of election {election} (make one with: safewire vote guardian create {election} ...).");
        }

        var secret = ElectionRecord.Read(path, VerifiableJsonTypes.GuardianSecret);
        return secret.Format == VerifiableFormats.GuardianSecret && secret.Election == election ? secret : throw new VotingException($"{path} is not a guardian secret of election {election}.");
    }

    private static void CheckOwnKey(GuardianSecretJson secret, IReadOnlyList<GuardianPublicKeyJson> keys)
    {
        var mine = keys[secret.Index - 1];
        var group = ElectionGroup.Standard;
        if (mine.Commitments[0] != ElectionGroup.ElementHex(group.GPow(KeyCeremony.ParseScalarPublic(secret.Coefficients[0]))))
        {
            throw new VotingException($"The key of guardian {secret.Index} in the folder is not this guardian's.");
        }
    }

    private static List<GuardianPublicKeyJson> ReadGuardianKeys(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new VotingException($"No folder {directory}.");
        }

        return [.. Directory.GetFiles(directory, "guardian-*.json").Order(StringComparer.Ordinal).Select(f => ElectionRecord.Read(f, VerifiableJsonTypes.GuardianKey))];
    }

    private static string KeyFingerprint(string jointKeyHex) =>
        Convert.ToHexString(SHA256.HashData(Convert.FromHexString(jointKeyHex)))[..32];

    private static void PrintResult(IReadOnlyList<ResultJson> result, int ballots)
    {
        Console.WriteLine($"result ({ballots} ballots):");
        foreach (var r in result)
        {
            var scored = ballots - r.NoScore;
            var mean = scored > 0 ? ((double)r.Sum / scored).ToString("0.00", CultureInfo.InvariantCulture) : "-";
            Console.WriteLine($"  {r.Candidate}. {r.Name}: sum {r.Sum}, mean {mean}, no score {r.NoScore}");
        }
    }
}
