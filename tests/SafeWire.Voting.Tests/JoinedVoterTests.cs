using System.Security.Cryptography;

namespace SafeWire.Voting.Tests;

/// <summary>Voters registered by joining with a code: served at once, on disk for the next start, one per name.</summary>
public sealed class JoinedVoterTests : IAsyncLifetime
{
    private TestElection _election = null!;

    public async ValueTask InitializeAsync() => _election = await TestElection.CreateAsync(candidates: 3, maxScore: 5, voters: 1);

    public async ValueTask DisposeAsync() => await _election.DisposeAsync();

    [Fact]
    public void A_joined_voter_is_served_at_once_and_kept_on_disk_as_joined()
    {
        var registry = _election.Context.Voters;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();

        registry.AddJoined(_election.Files.VotersPath, "alice", spki);

        Assert.Equal(spki, registry.PublicKeyOf("alice"));
        Assert.True(registry.IsJoined("alice"));
        Assert.False(registry.IsJoined("1"));
        var reloaded = _election.Files.LoadVoters();
        Assert.Equal(spki, reloaded.PublicKeyOf("alice"));
        Assert.True(reloaded.IsJoined("alice"));
        Assert.NotNull(reloaded.PublicKeyOf("1"));
        Assert.False(reloaded.IsJoined("1"));

        // One voter per name, whoever registered it first; only ECDSA P-256 keys sign ballots.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var taken = Assert.Throws<VotingException>(() => registry.AddJoined(_election.Files.VotersPath, "1", other.ExportSubjectPublicKeyInfo()));
        Assert.Contains("already registered", taken.Message, StringComparison.Ordinal);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var wrongCurve = Assert.Throws<VotingException>(() => registry.AddJoined(_election.Files.VotersPath, "bob", p384.ExportSubjectPublicKeyInfo()));
        Assert.Contains("ECDSA P-256", wrongCurve.Message, StringComparison.Ordinal);
        using var rsa = RSA.Create(2048);
        Assert.NotNull(VoterRegistry.CheckVoterKey(rsa.ExportSubjectPublicKeyInfo()));
        Assert.False(registry.IsRegistered("bob"));
        Assert.Equal(2, _election.Files.LoadVoters().Count);
    }

    [Fact]
    public async Task Registering_voters_while_machines_join_keeps_every_new_line()
    {
        // vote register (another process in real use: no shared in-memory lock) rewrites voters.csv while the server
        // appends joined machines: each rewrite happens under the file's lock, so none drops another's line.
        var registry = _election.Context.Voters;
        var keys = Enumerable.Range(0, 15).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256)).ToList();
        try
        {
            var joining = Task.Run(() =>
            {
                for (var i = 0; i < keys.Count; i++)
                {
                    registry.AddJoined(_election.Files.VotersPath, $"joined{i}", keys[i].ExportSubjectPublicKeyInfo());
                }
            }, TestContext.Current.CancellationToken);
            var registering = Task.Run(() =>
            {
                for (var i = 0; i < 15; i++)
                {
                    VoterRegistry.Register(_election.Files, [$"listed{i}"]);
                }
            }, TestContext.Current.CancellationToken);
            await Task.WhenAll(joining, registering);
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }

        var onDisk = _election.Files.LoadVoters();
        Assert.Equal(31, onDisk.Count);
        Assert.All(Enumerable.Range(0, 15), i =>
        {
            Assert.True(onDisk.IsJoined($"joined{i}"));
            Assert.NotNull(onDisk.PublicKeyOf($"listed{i}"));
        });
    }
}
