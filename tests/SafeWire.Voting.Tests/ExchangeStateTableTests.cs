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
    [InlineData(nameof(ExchangeState.AwaitingVoterId), nameof(ExchangeEvent.VoterUnknown), nameof(ExchangeState.Finished))]
    [InlineData(nameof(ExchangeState.AwaitingBallot), nameof(ExchangeEvent.BallotRefused), nameof(ExchangeState.AwaitingBallot))]
    [InlineData(nameof(ExchangeState.AwaitingBallot), nameof(ExchangeEvent.AttemptsExhausted), nameof(ExchangeState.Finished))]
    [InlineData(nameof(ExchangeState.Committing), nameof(ExchangeEvent.CommitRefused), nameof(ExchangeState.Finished))]
    [InlineData(nameof(ExchangeState.AwaitingOk), nameof(ExchangeEvent.ProtocolViolation), nameof(ExchangeState.Finished))]
    public void Edges(string from, string on, string to) =>
        // Names, not the enums: the state table is internal, and a public test method cannot take its types.
        Assert.Equal(Enum.Parse<ExchangeState>(to), ExchangeStateTable.Next(Enum.Parse<ExchangeState>(from), Enum.Parse<ExchangeEvent>(on)));

    [Theory]
    [InlineData(nameof(ExchangeState.AwaitingVoterId), nameof(ExchangeEvent.BallotValid))]
    [InlineData(nameof(ExchangeState.AwaitingBallot), nameof(ExchangeEvent.Committed))]
    [InlineData(nameof(ExchangeState.Committing), nameof(ExchangeEvent.OkReceived))]
    [InlineData(nameof(ExchangeState.AwaitingOk), nameof(ExchangeEvent.BallotValid))]
    [InlineData(nameof(ExchangeState.Finished), nameof(ExchangeEvent.VoterRegistered))]
    public void Missing_edges_are_caller_bugs(string from, string on) =>
        Assert.Throws<InvalidOperationException>(() => ExchangeStateTable.Next(Enum.Parse<ExchangeState>(from), Enum.Parse<ExchangeEvent>(on)));

    [Fact]
    public void Only_finished_has_no_way_out() =>
        Assert.All(Enum.GetValues<ExchangeState>().Where(s => s != ExchangeState.Finished),
            s => Assert.Contains(ExchangeStateTable.Transitions.Keys, k => k.From == s));
}
