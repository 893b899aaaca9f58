namespace SafeWire.Voting.Tests;

public class BallotTests
{
    [Theory]
    [InlineData("45432*3", 7, 9)]
    [InlineData("*******", 7, 9)]
    [InlineData("0", 1, 1)]
    [InlineData("55555", 5, 5)]
    public void Valid_ballots_pass(string ballot, int candidates, int maxScore) =>
        Assert.Null(Ballot.Validate(ballot, candidates, maxScore));

    [Theory]
    [InlineData("4543", 7, 9, BallotError.WrongLength, "wrong length: 4 characters for 7 candidates")]
    [InlineData("45432*31", 7, 9, BallotError.WrongLength, "wrong length: 8 characters for 7 candidates")]
    [InlineData("", 1, 9, BallotError.WrongLength, "wrong length: 0 characters for 1 candidate")]
    [InlineData("45x32*3", 7, 9, BallotError.BadCharacter, "bad character 'x' for candidate 3: allowed are 0-9 and *")]
    [InlineData("45 32*3", 7, 9, BallotError.BadCharacter, "bad character U+0020 for candidate 3")]
    [InlineData("4543-*3", 7, 9, BallotError.BadCharacter, "bad character '-' for candidate 5")]
    [InlineData("45436*3", 7, 5, BallotError.ScoreAboveMax, "score 6 for candidate 5 is above the maximum score 5")]
    [InlineData("9", 1, 8, BallotError.ScoreAboveMax, "score 9 for candidate 1 is above the maximum score 8")]
    public void Invalid_ballots_name_the_exact_reason(string ballot, int candidates, int maxScore, BallotError error, string reason)
    {
        var result = Ballot.Validate(ballot, candidates, maxScore);
        Assert.NotNull(result);
        Assert.Equal(error, result.Value.Error);
        Assert.StartsWith(reason, result.Value.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_ascii_digits_are_bad_characters() =>
        Assert.Equal(BallotError.BadCharacter, Ballot.Validate("٤5432*3", 7, 9)!.Value.Error);

    [Theory]
    [InlineData(0, 9)]
    [InlineData(201, 9)]
    [InlineData(3, 10)]
    [InlineData(3, 0)]
    public void Election_definitions_out_of_range_are_refused(int candidates, int maxScore) =>
        Assert.Throws<VotingException>(() => new ElectionDefinition { Name = "x", Candidates = candidates, MaxScore = maxScore }.Validate());

    [Theory]
    [InlineData("../etc")]
    [InlineData(".hidden")]
    [InlineData("a b")]
    [InlineData("")]
    public void Election_names_must_be_safe_file_names(string name) =>
        Assert.Throws<VotingException>(() => new ElectionDefinition { Name = name, Candidates = 3 }.Validate());
}
