using SafeWire.Voting.Protocol;

namespace SafeWire.Voting.Tests;

public class ExchangeStateTableTests
{
    [Fact]
    public void Seed_flow_walks_the_table_to_finished()
    {
        var state = ExchangeState.AwaitingVoterId;
        foreach (var e in new[] { ExchangeEvent.VoterRegistered, ExchangeEvent.BallotRefused, ExchangeEvent.BallotRefused, ExchangeEvent.BallotValid, ExchangeEvent.Committed, ExchangeEvent.OkReceived })
        {
            state = ExchangeStateTable.Next(state, e);
        }

        Assert.Equal(ExchangeState.Finished, state);
    }

    [Theory]
    [InlineData(ExchangeState.AwaitingVoterId, ExchangeEvent.VoterUnknown, ExchangeState.Finished)]
    [InlineData(ExchangeState.AwaitingBallot, ExchangeEvent.BallotRefused, ExchangeState.AwaitingBallot)]
    [InlineData(ExchangeState.AwaitingBallot, ExchangeEvent.AttemptsExhausted, ExchangeState.Finished)]
    [InlineData(ExchangeState.Committing, ExchangeEvent.CommitRefused, ExchangeState.Finished)]
    [InlineData(ExchangeState.AwaitingOk, ExchangeEvent.ProtocolViolation, ExchangeState.Finished)]
    public void Edges(ExchangeState from, ExchangeEvent on, ExchangeState to) =>
        Assert.Equal(to, ExchangeStateTable.Next(from, on));

    [Theory]
    [InlineData(ExchangeState.AwaitingVoterId, ExchangeEvent.BallotValid)]
    [InlineData(ExchangeState.AwaitingBallot, ExchangeEvent.Committed)]
    [InlineData(ExchangeState.Committing, ExchangeEvent.OkReceived)]
    [InlineData(ExchangeState.AwaitingOk, ExchangeEvent.BallotValid)]
    [InlineData(ExchangeState.Finished, ExchangeEvent.VoterRegistered)]
    public void Missing_edges_are_caller_bugs(ExchangeState from, ExchangeEvent on) =>
        Assert.Throws<InvalidOperationException>(() => ExchangeStateTable.Next(from, on));

    [Fact]
    public void Only_finished_has_no_way_out() =>
        Assert.All(Enum.GetValues<ExchangeState>().Where(s => s != ExchangeState.Finished),
            s => Assert.Contains(ExchangeStateTable.Transitions.Keys, k => k.From == s));
}
