using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Voting;
using SafeWire.Voting.Verifiable;

namespace SafeWire.Benchmarks.Voting;

/// <summary>
/// Costs of the verifiable mode (docs/BENCHMARKS.md, "Verifiable voting"): group operations, per-ballot encryption with
/// proofs and server verification for 5 candidates with max score 5 (one thread), record verification on all cores,
/// a guardian's partial decryption and the publish step; ballots accepted per second by the real server over loopback;
/// the seed mode's per-ballot crypto for comparison.
///   SafeWire.Benchmarks.dll verifiable [--ballots N] [--record N] [--accept N] [--concurrency N]
/// </summary>
internal static class VerifiableRun
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.FirstOrDefault() != "verifiable")
        {
            return false;
        }

        var ballots = int.Parse(Option(args, "--ballots") ?? "10", CultureInfo.InvariantCulture);
        var recordSize = int.Parse(Option(args, "--record") ?? "40", CultureInfo.InvariantCulture);
        var accept = int.Parse(Option(args, "--accept") ?? "40", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Option(args, "--concurrency") ?? "8", CultureInfo.InvariantCulture);
        Run(ballots, recordSize);
        if (accept > 0)
        {
            AcceptRateAsync(accept, concurrency).GetAwaiter().GetResult();
        }
        return true;
    }

    private static void Run(int ballotCount, int recordSize)
    {
        Console.WriteLine($"verifiable voting bench: {Environment.ProcessorCount} cores, .NET {Environment.Version}, 5 candidates, max score 5, 3 guardians, quorum 2");
        var group = ElectionGroup.Standard;
        var e = group.RandomScalar();
        var x = group.GPow(e);
        Console.WriteLine("| operation | milliseconds |");
        Console.WriteLine("|---|---:|");
        Row("g^e, plain BigInteger.ModPow (4096-bit p, 256-bit e)", 20, () => BigInteger.ModPow(group.G, e, group.P));
        Row("g^e, fixed-base comb table (3 squarings, 32 products)", 50, () => group.GPow(e));
        Row("x^e, any base (ModPow)", 20, () => group.Pow(x, e));
        Row("subgroup check x^q = 1, plain ModPow (the original code)", 10, () => _ = BigInteger.ModPow(x, group.Q, group.P));
        Row("subgroup check as x^(2^256) = x^189 (ElectionGroup.IsElement)", 20, () => group.IsElement(x));
        Row("one multiplication mod p", 2000, () => group.Mul(x, x));

        // Where a multiplication mod p goes, and the two textbook ways to avoid the division, built from BigInteger
        // operations: neither is faster, because each needs two more full products of 4096-bit numbers.
        var y = group.GPow(group.RandomScalar());
        var product = x * y;
        Row("  of which the product a·b (8,192 bits)", 2000, () => _ = x * y);
        Row("  of which the reduction (a·b) mod p, a division", 2000, () => _ = product % group.P);
        var k = (int)group.P.GetBitLength();
        var mu = (BigInteger.One << (2 * k)) / group.P;
        Row("reduction by Barrett instead (2 products, from BigInteger operations)", 2000, () => _ = BarrettReduce(product, group.P, mu, k));
        var r = BigInteger.One << k;
        var mask = r - 1;
        var nPrime = r - BigInteger.ModPow(group.P, (r >> 1) - 1, r);
        if (BarrettReduce(product, group.P, mu, k) != product % group.P || MontgomeryReduce(product, group.P, nPrime, mask, k) * r % group.P != product % group.P)
        {
            throw new InvalidOperationException("The Barrett or Montgomery reduction of the benchmark is wrong.");
        }

        Row("reduction by Montgomery instead (2 products, from BigInteger operations)", 2000, () => _ = MontgomeryReduce(product, group.P, nPrime, mask, k));
        var steps = (int)e.GetBitLength() + e.ToByteArray().Sum(b => BitOperations.PopCount(b));
        var modPow = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            _ = BigInteger.ModPow(x, e, group.P);
        }

        Console.WriteLine($"| one step inside BigInteger.ModPow (a 256-bit power over its {steps} squarings and products) | {modPow.Elapsed.TotalMilliseconds / 20 / steps:0.000} |");

        var manifest = new VerifiableManifest { Name = "bench", Candidates = 5, MaxScore = 5, CandidateNames = ["A", "B", "C", "D", "E"] };
        var guardians = Enumerable.Range(1, 3).Select(i => KeyCeremony.CreateGuardian("bench", i, $"G{i}", 3, 2)).ToList();
        var election = ElectionSetup.WithJointKey(ElectionSetup.Create(manifest, 3, 2), guardians.Select(g => g.Public));
        var sw = Stopwatch.StartNew();
        var context = ElectionSetup.Open(election);
        Console.WriteLine($"| joint key's fixed-base table (once per process) | {sw.Elapsed.TotalMilliseconds:0.0} |");

        using var voterKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = voterKey.ExportSubjectPublicKeyInfo();
        var random = new Random(5);
        string Typed() => string.Concat(Enumerable.Range(0, 5).Select(_ => "012345*"[random.Next(7)]));
        var encrypted = new List<EncryptedBallotJson>();
        var encryptTimes = new List<double>();
        for (var i = 0; i < ballotCount; i++)
        {
            sw.Restart();
            encrypted.Add(BallotEncryption.Encrypt(context, "v", Typed(), voterKey, RandomNumberGenerator.GetBytes(32)));
            encryptTimes.Add(sw.Elapsed.TotalMilliseconds);
        }

        var verifyTimes = new List<double>();
        var parallelTimes = new List<double>();
        foreach (var ballot in encrypted)
        {
            sw.Restart();
            if (BallotEncryption.Check(context, ballot, spki) is { } problem)
            {
                throw new InvalidOperationException(problem);
            }

            verifyTimes.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            if (BallotEncryption.Check(context, ballot, spki, parallel: true) is { } again)
            {
                throw new InvalidOperationException(again);
            }

            parallelTimes.Add(sw.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"| ballot encryption with proofs, one thread (median of {ballotCount}) | {Median(encryptTimes):0.0} |");
        Console.WriteLine($"| ballot verification, one thread (median of {ballotCount}) | {Median(verifyTimes):0.0} |");
        Console.WriteLine($"| ballot verification as the server does it, candidates in parallel, {Environment.ProcessorCount} cores (median of {ballotCount}) | {Median(parallelTimes):0.0} |");

        // Seed mode, the same machine: the server's per-ballot crypto (RSA-3072 OAEP unwrap + ECDSA verify).
        using var rsa = RSA.Create(3072);
        var wrapped = rsa.Encrypt(new byte[32], RSAEncryptionPadding.OaepSHA256);
        var data = new byte[64];
        var signature = voterKey.SignData(data, HashAlgorithmName.SHA256);
        Row("seed mode: RSA-3072 OAEP unwrap + ECDSA P-256 verify (server, per ballot)", 50, () =>
        {
            rsa.Decrypt(wrapped, RSAEncryptionPadding.OaepSHA256);
            voterKey.VerifyData(data, signature, HashAlgorithmName.SHA256);
        });
        Row("seed mode: RSA-3072 OAEP wrap + ECDSA P-256 sign (client, per ballot)", 50, () =>
        {
            rsa.Encrypt(new byte[32], RSAEncryptionPadding.OaepSHA256);
            voterKey.SignData(data, HashAlgorithmName.SHA256);
        });

        // A record of recordSize ballots (the encryption is not timed), verified on all cores.
        var recordBallots = new List<EncryptedBallotJson>();
        var voters = new List<VoterJson>();
        for (var i = 0; i < recordSize; i++)
        {
            var id = "v" + i.ToString(CultureInfo.InvariantCulture);
            var ballot = BallotEncryption.Encrypt(context, id, Typed(), voterKey, RandomNumberGenerator.GetBytes(32));
            recordBallots.Add(ballot with { Sequence = i + 1 });
            voters.Add(new VoterJson(id, Convert.ToBase64String(spki)));
        }

        var keyShares = new BigInteger[4];
        foreach (var (me, _) in guardians)
        {
            keyShares[me.Index] = Enumerable.Range(0, 3).Aggregate(BigInteger.Zero, (sum, l) =>
                group.ModQ(sum + KeyCeremony.Evaluate(group, [.. guardians[l].Secret.Coefficients.Select(KeyCeremony.ParseScalarPublic)], me.Index)));
        }

        var sums = TallyDecryption.Accumulate(group, 5, recordBallots.Select(BallotEncryption.Ciphertexts));
        sw.Restart();
        var partial1 = TallyDecryption.Decrypt(context, 1, keyShares[1], sums);
        Console.WriteLine($"| one guardian's partial decryption of the tally, with proofs (5 candidates) | {sw.Elapsed.TotalMilliseconds:0.0} |");
        var partial3 = TallyDecryption.Decrypt(context, 3, keyShares[3], sums);
        sw.Restart();
        var tally = TallyDecryption.Finish(context, election, [.. guardians.Select(g => g.Public)], sums, recordSize, [partial1, partial3]);
        Console.WriteLine($"| publish: check 2 partial decryptions, combine, find the counts ({recordSize} ballots) | {sw.Elapsed.TotalMilliseconds:0.0} |");

        var directory = Directory.CreateTempSubdirectory("safewire-bench-record-").FullName;
        try
        {
            ElectionRecord.Write(directory, election, [.. guardians.Select(g => g.Public)], voters, recordBallots, tally);
            sw.Restart();
            var verification = ElectionRecord.Verify(directory, []);
            var seconds = sw.Elapsed.TotalSeconds;
            if (!verification.Ok)
            {
                throw new InvalidOperationException(verification.Failure);
            }

            Console.WriteLine($"| verify a record of {recordSize} ballots, {Environment.ProcessorCount} cores (seconds: {seconds:0.0}) | {seconds * 1000 / recordSize:0.0} per ballot |");
            Console.WriteLine($"| ... so a 10,000-ballot record, extrapolated linearly | {seconds / recordSize * 10000 / 60:0.0} minutes |");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Ballots accepted per second by <see cref="VerifiableVoteServer"/> over loopback: TCP connect, SafeWire handshake, the
    /// ballot, the server's signature, code and proof checks, the durable SQLite commit, the receipt. The ballots are
    /// encrypted beforehand (that is each voter's own machine's work, timed above) and the clients share the 2 cores.
    /// </summary>
    private static async Task AcceptRateAsync(int count, int concurrency)
    {
        var directory = Directory.CreateTempSubdirectory("safewire-bench-verifiable-").FullName;
        try
        {
            var home = new SafeWireHome(directory);
            var manifest = new VerifiableManifest { Name = "accept", Candidates = 5, MaxScore = 5, CandidateNames = ["A", "B", "C", "D", "E"] };
            var guardians = Enumerable.Range(1, 3).Select(i => KeyCeremony.CreateGuardian("accept", i, $"G{i}", 3, 2)).ToList();
            var files = VerifiableElectionFiles.Create(directory, ElectionSetup.Create(manifest, 3, 2));
            files.SetJointKey([.. guardians.Select(g => g.Public)]);
            var context = ElectionSetup.Open(files.Election);
            var credentials = files.Register([.. Enumerable.Range(1, count).Select(i => i.ToString(CultureInfo.InvariantCulture))], VoteTransport.CaCertificatePem(home));
            var random = new Random(7);
            var ballots = credentials.Select(c =>
            {
                using var key = ECDsa.Create();
                key.ImportFromPem(c.PrivateKey);
                var typed = string.Concat(Enumerable.Range(0, 5).Select(_ => "012345*"[random.Next(7)]));
                return BallotEncryption.Encrypt(context, c.VoterId, typed, key, RandomNumberGenerator.GetBytes(32));
            }).ToList();

            using var store = new VerifiableBallotStore(files.DatabasePath);
            var server = new VerifiableVoteServer(context, files.LoadVoters(), store);
            using var credential = home.LoadOrCreateServerCredential("vote-server", ["localhost"], [IPAddress.Loopback]);
            var verifier = VoteTransport.ServerVerifier(VoteTransport.CaCertificatePem(home), home);
            await using var host = new LoopbackVoteServer(credential, server.HandleConnectionAsync);

            var next = -1;
            var recorded = 0;
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    await using var stream = await VoteTransport.ConnectAsync("127.0.0.1", host.Port, verifier, "127.0.0.1", CancellationToken.None);
                    var (receipt, _, _) = await VerifiableVoteClient.CastAsync(stream, ballots[i], CancellationToken.None);
                    if (receipt is not null)
                    {
                        Interlocked.Increment(ref recorded);
                    }
                }
            })));
            var seconds = sw.Elapsed.TotalSeconds;
            Console.WriteLine($"| ballots accepted end to end, {concurrency} concurrent voters, {Environment.ProcessorCount} cores ({recorded} of {count} recorded in {seconds:0.0} s) | {recorded / seconds:0.0} ballots/s |");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static BigInteger BarrettReduce(BigInteger t, BigInteger p, BigInteger mu, int k)
    {
        var r = t - ((t >> (k - 1)) * mu >> (k + 1)) * p;
        while (r >= p)
        {
            r -= p;
        }

        return r;
    }

    private static BigInteger MontgomeryReduce(BigInteger t, BigInteger p, BigInteger nPrime, BigInteger mask, int k)
    {
        var m = ((t & mask) * nPrime) & mask;
        var r = (t + (m * p)) >> k;
        return r >= p ? r - p : r;
    }

    private static void Row(string label, int count, Action action)
    {
        action();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            action();
        }

        Console.WriteLine($"| {label} | {sw.Elapsed.TotalMilliseconds / count:0.000} |");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
