using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Tests;

public class StateTableTests
{
    [Theory]
    [InlineData(KmSessionState.AwaitingHello, KmSessionInput.ClientHello, KmSessionState.Menu)]
    [InlineData(KmSessionState.Menu, KmSessionInput.Send, KmSessionState.Choosing)]
    [InlineData(KmSessionState.Menu, KmSessionInput.Wait, KmSessionState.Waiting)]
    [InlineData(KmSessionState.Choosing, KmSessionInput.Conn, KmSessionState.Paired)]
    [InlineData(KmSessionState.Waiting, KmSessionInput.ChosenBySender, KmSessionState.Paired)]
    [InlineData(KmSessionState.Paired, KmSessionInput.Confirm, KmSessionState.Confirmed)]
    [InlineData(KmSessionState.Confirmed, KmSessionInput.Listening, KmSessionState.Transferring)]
    [InlineData(KmSessionState.Transferring, KmSessionInput.Report, KmSessionState.Reported)]
    [InlineData(KmSessionState.Reported, KmSessionInput.Verdict, KmSessionState.Menu)]
    [InlineData(KmSessionState.Menu, KmSessionInput.End, KmSessionState.Closed)]
    public void SeedFlow_Transitions(KmSessionState from, KmSessionInput input, KmSessionState to)
    {
        Assert.True(KmSessionMachine.TryNext(from, input, out var next));
        Assert.Equal(to, next);
    }

    [Theory]
    [InlineData(KmSessionState.AwaitingHello, KmSessionInput.Send)]
    [InlineData(KmSessionState.Menu, KmSessionInput.Conn)]
    [InlineData(KmSessionState.Waiting, KmSessionInput.Send)]
    [InlineData(KmSessionState.Menu, KmSessionInput.FetchKeys)]
    [InlineData(KmSessionState.Paired, KmSessionInput.End)]
    [InlineData(KmSessionState.Transferring, KmSessionInput.Conn)]
    public void OutOfOrder_IsNotInTheTable(KmSessionState from, KmSessionInput input) =>
        Assert.False(KmSessionMachine.TryNext(from, input, out _));

    [Fact]
    public void EveryClientMessage_HasAnInput()
    {
        foreach (var type in new[] { KdMessageType.ClientHello, KdMessageType.Wait, KdMessageType.Send, KdMessageType.Conn, KdMessageType.FetchKeys, KdMessageType.Confirm, KdMessageType.Listening, KdMessageType.Report, KdMessageType.End })
        {
            Assert.NotNull(KmSessionMachine.InputFor(type));
        }

        Assert.Null(KmSessionMachine.InputFor(KdMessageType.KeyGrant));
    }

    [Fact]
    public void Transfer_FinalStatesHaveNoWayOut()
    {
        foreach (var ((from, _), _) in TransferMachine.Table)
        {
            Assert.False(TransferMachine.IsFinal(from));
        }

        Assert.False(TransferMachine.TryNext(TransferState.Transferring, TransferEvent.Expired, out _));
    }
}
