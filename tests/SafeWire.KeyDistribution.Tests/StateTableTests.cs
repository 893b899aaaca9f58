using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Tests;

public class StateTableTests
{
    [Theory]
    [InlineData(nameof(KmSessionState.AwaitingHello), nameof(KmSessionInput.ClientHello), nameof(KmSessionState.Menu))]
    [InlineData(nameof(KmSessionState.Menu), nameof(KmSessionInput.Send), nameof(KmSessionState.Choosing))]
    [InlineData(nameof(KmSessionState.Menu), nameof(KmSessionInput.Wait), nameof(KmSessionState.Waiting))]
    [InlineData(nameof(KmSessionState.Choosing), nameof(KmSessionInput.Conn), nameof(KmSessionState.Paired))]
    [InlineData(nameof(KmSessionState.Waiting), nameof(KmSessionInput.ChosenBySender), nameof(KmSessionState.Paired))]
    [InlineData(nameof(KmSessionState.Paired), nameof(KmSessionInput.Confirm), nameof(KmSessionState.Confirmed))]
    [InlineData(nameof(KmSessionState.Confirmed), nameof(KmSessionInput.Listening), nameof(KmSessionState.Transferring))]
    [InlineData(nameof(KmSessionState.Transferring), nameof(KmSessionInput.Report), nameof(KmSessionState.Reported))]
    [InlineData(nameof(KmSessionState.Reported), nameof(KmSessionInput.Verdict), nameof(KmSessionState.Menu))]
    [InlineData(nameof(KmSessionState.Menu), nameof(KmSessionInput.End), nameof(KmSessionState.Closed))]
    public void SeedFlow_Transitions(string from, string input, string to)
    {
        // Names, not the enums: the state machine is internal, and a public test method cannot take its types.
        Assert.True(KmSessionMachine.TryNext(Enum.Parse<KmSessionState>(from), Enum.Parse<KmSessionInput>(input), out var next));
        Assert.Equal(Enum.Parse<KmSessionState>(to), next);
    }

    [Theory]
    [InlineData(nameof(KmSessionState.AwaitingHello), nameof(KmSessionInput.Send))]
    [InlineData(nameof(KmSessionState.Menu), nameof(KmSessionInput.Conn))]
    [InlineData(nameof(KmSessionState.Waiting), nameof(KmSessionInput.Send))]
    [InlineData(nameof(KmSessionState.Menu), nameof(KmSessionInput.FetchKeys))]
    [InlineData(nameof(KmSessionState.Paired), nameof(KmSessionInput.End))]
    [InlineData(nameof(KmSessionState.Transferring), nameof(KmSessionInput.Conn))]
    public void OutOfOrder_IsNotInTheTable(string from, string input) =>
        Assert.False(KmSessionMachine.TryNext(Enum.Parse<KmSessionState>(from), Enum.Parse<KmSessionInput>(input), out _));

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
