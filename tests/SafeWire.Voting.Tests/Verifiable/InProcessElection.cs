using System.Numerics;
using System.Security.Cryptography;
using SafeWire.TestSupport;
using SafeWire.Voting.Verifiable;

namespace SafeWire.Voting.Tests.Verifiable;

/// <summary>
/// A whole verifiable election run in process (3 guardians, quorum 2, guardian 2 absent at decryption), published as a
/// record in a temp folder. Built once per test class; tests copy the record before altering it.
/// </summary>
public sealed class InProcessElection : IDisposable
{
    public static readonly string[] Typed = ["21", "0*", "12", "*2"];

    /// <summary>Guardian 2 is absent: guardians 1 and 3 decrypt.</summary>
    public static readonly int[] PresentAtDecryption = [1, 3];

    private readonly TempDirectory _directory = new();

    public InProcessElection()
    {
        var manifest = new VerifiableManifest { Name = "kat", Candidates = 2, MaxScore = 2, CandidateNames = ["Ada", "Bo"] };
        var election = ElectionSetup.Create(manifest, 3, 2);
        var guardians = Enumerable.Range(1, 3).Select(i => KeyCeremony.CreateGuardian("kat", i, $"G{i}", 3, 2)).ToList();
        var publicKeys = guardians.Select(g => g.Public).ToList();
        Election = ElectionSetup.WithJointKey(election, publicKeys);
        Context = ElectionSetup.Open(Election);

        // Every guardian sends P_i(l) to every other guardian l and checks what it receives.
        var keyShares = new BigInteger[4];
        foreach (var (me, _) in guardians)
        {
            var own = KeyCeremony.Evaluate(ElectionGroup.Standard, [.. me.Coefficients.Select(c => ElectionGroup.TryParseHex(c, 64)!.Value)], me.Index);
            keyShares[me.Index] = own;
            foreach (var (sender, senderPublic) in guardians.Where(g => g.Secret.Index != me.Index))
            {
                var share = KeyCeremony.EncryptShare(sender, publicKeys[me.Index - 1]);
                keyShares[me.Index] = ElectionGroup.Standard.ModQ(keyShares[me.Index] + KeyCeremony.OpenShare(me, senderPublic, share));
            }
        }

        Guardians = publicKeys;
        var voters = new List<VoterJson>();
        var ballots = new List<EncryptedBallotJson>();
        for (var v = 0; v < Typed.Length; v++)
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            VoterKeys.Add(key);
            var id = $"v{v + 1}";
            voters.Add(new VoterJson(id, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())));
            var ballot = BallotEncryption.Encrypt(Context, id, Typed[v], key, RandomNumberGenerator.GetBytes(32));
            Assert.Null(BallotEncryption.Check(Context, ballot, key.ExportSubjectPublicKeyInfo()));
            ballots.Add(ballot with { Sequence = v + 1 });
        }

        Voters = voters;
        Ballots = ballots;
        var sums = TallyDecryption.Accumulate(ElectionGroup.Standard, 2, ballots.Select(BallotEncryption.Ciphertexts));
        var partials = PresentAtDecryption.Select(i => TallyDecryption.Decrypt(Context, i, keyShares[i], sums)).ToList();
        Tally = TallyDecryption.Finish(Context, Election, publicKeys, sums, ballots.Count, partials);
        ElectionRecord.Write(RecordPath, Election, publicKeys, voters, ballots, Tally);
    }

    public ElectionRecordJson Election { get; }

    public EncryptionContext Context { get; }

    public IReadOnlyList<GuardianPublicKeyJson> Guardians { get; }

    public IReadOnlyList<VoterJson> Voters { get; }

    public IReadOnlyList<EncryptedBallotJson> Ballots { get; }

    public List<ECDsa> VoterKeys { get; } = [];

    public TallyJson Tally { get; }

    public string RecordPath => _directory["record"];

    /// <summary>A fresh copy of the record to alter.</summary>
    public string CopyRecord()
    {
        var copy = _directory["copy-" + Guid.NewGuid().ToString("N")[..8]];
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(RecordPath))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        return copy;
    }

    public void Dispose()
    {
        foreach (var key in VoterKeys)
        {
            key.Dispose();
        }

        _directory.Dispose();
    }
}
