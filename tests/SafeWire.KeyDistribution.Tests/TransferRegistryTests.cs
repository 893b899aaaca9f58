using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Tests.Support;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Tests;

public class TransferRegistryTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
    private static readonly TransferParty s_alice = new(1, "alice", "SHA256:alice");
    private static readonly TransferParty s_bob = new(2, "bob", "SHA256:bob");
    private static readonly TransferParty s_carol = new(3, "carol", "SHA256:carol");

    private static byte[] Confirmation(TransferRecord record, TransferRole role)
    {
        var mac = new byte[32];
        record.Keys!.ConfirmationMac(role, mac);
        return mac;
    }

    [Fact]
    public void Keys_AreFetchedOncePerPeer_SecondFetchIsReuse()
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.Cbc, s_alice, s_bob, s_now);
        Assert.Null(registry.FetchKeys(record.Id, 1, "SHA256:alice", s_now).Refusal);
        Assert.Equal(RefusalReason.AlreadyUsed, registry.FetchKeys(record.Id, 1, "SHA256:alice", s_now).Refusal);
        Assert.Null(registry.FetchKeys(record.Id, 2, "SHA256:bob", s_now).Refusal);
    }

    [Fact]
    public void ThirdClient_PresentingTheTransferId_IsRefused()
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.Cfb, s_alice, s_bob, s_now);
        Assert.Equal(RefusalReason.NotYourTransfer, registry.FetchKeys(record.Id, s_carol.SessionId, s_carol.Fingerprint, s_now).Refusal);
        // The right fingerprint on another session (a second connection with a copied identity claim) is refused too.
        Assert.Equal(RefusalReason.NotYourTransfer, registry.FetchKeys(record.Id, 9, "SHA256:bob", s_now).Refusal);
        Assert.Equal(RefusalReason.UnknownTransfer, registry.FetchKeys(TransferId.NewRandom(), 1, "SHA256:alice", s_now).Refusal);
    }

    [Fact]
    public void ExpiredKeys_AreRefused_AndExpiryFailsTheTransfer()
    {
        var registry = new TransferRegistry(TimeSpan.FromSeconds(30));
        var record = registry.Issue(TransferMode.Cbc, s_alice, s_bob, s_now);
        var later = s_now.AddSeconds(31);
        Assert.Equal(RefusalReason.Expired, registry.FetchKeys(record.Id, 1, "SHA256:alice", later).Refusal);
        var expired = registry.ExpireDue(later);
        Assert.Single(expired);
        Assert.Equal(VerdictKind.Failed, expired[0].Verdict.Kind);
        Assert.Equal(TransferState.Failed, record.State);
        Assert.Null(record.Keys);
        Assert.Equal(RefusalReason.AlreadyUsed, registry.FetchKeys(record.Id, 2, "SHA256:bob", s_now).Refusal);
    }

    [Fact]
    public void Confirmations_WithIssuedKeys_MoveToConfirmed_AndDropTheKeys()
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.Cbc, s_alice, s_bob, s_now);
        registry.FetchKeys(record.Id, 1, "SHA256:alice", s_now);
        registry.FetchKeys(record.Id, 2, "SHA256:bob", s_now);
        var senderMac = Confirmation(record, TransferRole.Sender);
        var receiverMac = Confirmation(record, TransferRole.Receiver);
        Assert.False(registry.Confirm(record.Id, 1, "SHA256:alice", senderMac, s_now).BothConfirmed);
        Assert.True(registry.Confirm(record.Id, 2, "SHA256:bob", receiverMac, s_now).BothConfirmed);
        Assert.Equal(TransferState.Confirmed, record.State);
        Assert.Null(record.Keys);
    }

    [Fact]
    public void WrongConfirmation_IsRefused()
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.Cfb, s_alice, s_bob, s_now);
        registry.FetchKeys(record.Id, 1, "SHA256:alice", s_now);
        var receiverMac = Confirmation(record, TransferRole.Receiver);
        Assert.Equal(RefusalReason.BadConfirmation, registry.Confirm(record.Id, 1, "SHA256:alice", receiverMac, s_now).Access.Refusal);
        // Not fetched yet: even the right MAC is refused.
        Assert.Equal(RefusalReason.BadConfirmation, registry.Confirm(record.Id, 2, "SHA256:bob", receiverMac, s_now).Access.Refusal);
    }

    [Fact]
    public void E2e_IssuesNoKeys()
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.E2e, s_alice, s_bob, s_now);
        Assert.Null(record.Keys);
        Assert.False(record.KeysIssued);
        Assert.NotNull(registry.FetchKeys(record.Id, 1, "SHA256:alice", s_now).Refusal);
        Assert.False(registry.Confirm(record.Id, 1, "SHA256:alice", [], s_now).BothConfirmed);
        Assert.True(registry.Confirm(record.Id, 2, "SHA256:bob", [], s_now).BothConfirmed);
    }

    [Theory]
    [InlineData(10UL, 10UL, VerdictKind.Match)]
    [InlineData(10UL, 9UL, VerdictKind.Mismatch)]
    public void Reports_ComparedBlockCounts(ulong senderBlocks, ulong receiverBlocks, VerdictKind expected)
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.E2e, s_alice, s_bob, s_now);
        registry.Confirm(record.Id, 1, "SHA256:alice", [], s_now);
        registry.Confirm(record.Id, 2, "SHA256:bob", [], s_now);
        Assert.Null(registry.ListenerReady(record.Id, 2, "SHA256:bob", s_now).Refusal);
        Assert.Null(registry.Report(new ReportMessage(record.Id, true, senderBlocks, 100, 1, ""), 1, "SHA256:alice", s_now).Verdict);
        var verdict = registry.Report(new ReportMessage(record.Id, true, receiverBlocks, 100, 1, ""), 2, "SHA256:bob", s_now).Verdict;
        Assert.Equal(expected, verdict!.Kind);
        // Spent: the transfer ID cannot be used again.
        Assert.Equal(RefusalReason.AlreadyUsed, registry.Access(record.Id, 1, "SHA256:alice", s_now).Refusal);
    }

    [Fact]
    public void FailureReport_EndsTheTransferAtOnce()
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.E2e, s_alice, s_bob, s_now);
        var verdict = registry.Report(new ReportMessage(record.Id, false, 0, 0, 0, "chunk 3 failed its MAC"), 2, "SHA256:bob", s_now).Verdict;
        Assert.Equal(VerdictKind.Failed, verdict!.Kind);
        Assert.Contains("chunk 3 failed its MAC", verdict.Text, StringComparison.Ordinal);
        Assert.Equal(TransferState.Failed, record.State);
    }

    [Fact]
    public void FinishedTransfers_AreForgottenAfterRetention_StillRefused()
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.E2e, s_alice, s_bob, s_now);
        registry.Report(new ReportMessage(record.Id, false, 0, 0, 0, "disk full"), 2, "SHA256:bob", s_now);
        registry.ExpireDue(s_now + TransferRegistry.RetainFinished);
        Assert.Equal(RefusalReason.AlreadyUsed, registry.Access(record.Id, 1, "SHA256:alice", s_now).Refusal);
        registry.ExpireDue(s_now + TransferRegistry.RetainFinished + TimeSpan.FromSeconds(1));
        Assert.Empty(registry.All);
        Assert.Equal(RefusalReason.UnknownTransfer, registry.Access(record.Id, 1, "SHA256:alice", s_now).Refusal);
    }

    [Fact]
    public void ListenerReady_OnlyFromTheConfirmedReceiver()
    {
        var registry = new TransferRegistry(TimeSpan.FromMinutes(1));
        var record = registry.Issue(TransferMode.E2e, s_alice, s_bob, s_now);
        Assert.Equal(RefusalReason.WrongState, registry.ListenerReady(record.Id, 2, "SHA256:bob", s_now).Refusal);
        registry.Confirm(record.Id, 1, "SHA256:alice", [], s_now);
        registry.Confirm(record.Id, 2, "SHA256:bob", [], s_now);
        Assert.Equal(RefusalReason.WrongState, registry.ListenerReady(record.Id, 1, "SHA256:alice", s_now).Refusal);
    }
}
