using SafeWire.Enrollment;
using SafeWire.Identity;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Tests.Enrollment;

public sealed class InvitationStoreTests
{
    private const string CaFingerprint = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

    [Fact]
    public void ABatchUsesUpOnlyItsOpenCodes_KeepsEveryOtherRecordAsWritten_AndSeesAnotherWritersInvitations()
    {
        using var dir = new TempDirectory();
        var path = dir["ca/invitations.jsonl"];
        var now = DateTimeOffset.UtcNow;
        var server = new InvitationStore(path);
        var ours = Enumerable.Range(0, 3).Select(i => server.Create("m" + i, PeerRole.Client, [], [], "127.0.0.1", 7022, CaFingerprint, now, TimeSpan.FromHours(1))).ToList();
        Assert.NotNull(server.Find(ours[0].IdText)); // the server has read the file, as a running server has

        // `safewire invite` in another process: its own store over the same file.
        var theirs = new InvitationStore(path).Create("late", PeerRole.Client, [], [], "127.0.0.1", 7022, CaFingerprint, now, TimeSpan.FromHours(1));
        Assert.Equal("late", server.Find(theirs.IdText)?.Name);
        var before = File.ReadAllLines(path);

        var results = server.TryConsumeAll([
            (theirs.IdText, "SHA256:a", now),
            (ours[1].IdText, "SHA256:b", now),
            (ours[1].IdText, "SHA256:c", now),
            (new string('0', JoinCode.IdLength * 2), "SHA256:d", now),
        ]);

        Assert.Equal([true, true, false, false], results.Select(r => r.Consumed));
        Assert.Null(results[3].Found);
        Assert.Equal("SHA256:b", results[2].Found?.UsedBy); // the second request for one code finds it used by the first
        var after = File.ReadAllLines(path);
        Assert.Equal(4, after.Length);
        Assert.Equal(before[0], after[0]); // unchanged records keep their line
        Assert.Equal(before[2], after[2]);
        var reread = new InvitationStore(path).All();
        Assert.Equal(["m0", "m1", "m2", "late"], reread.Select(i => i.Name));
        Assert.Equal([null, "SHA256:b", null, "SHA256:a"], reread.Select(i => i.UsedBy));
        Assert.Equal(reread.Select(i => (i.Id, i.Used, i.UsedBy)), server.All().Select(i => (i.Id, i.Used, i.UsedBy))); // the kept copy is what is on disk
    }

    [Fact]
    public void ACorruptLine_IsReportedWithItsNumber()
    {
        using var dir = new TempDirectory();
        var path = dir["invitations.jsonl"];
        var store = new InvitationStore(path);
        store.Create("m0", PeerRole.Client, [], [], "127.0.0.1", 7022, CaFingerprint, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        File.AppendAllText(path, "{not json\n");

        var e = Assert.Throws<IdentityFileException>(() => new InvitationStore(path).All());

        Assert.Equal(IdentityFileError.Corrupt, e.Error);
        Assert.Contains(":2: not an invitation record", e.Message, StringComparison.Ordinal);
    }
}
