namespace SafeWire.Voting;

/// <summary>Why a ballot string was not accepted. Each value has its own message.</summary>
public enum BallotError
{
    /// <summary>The ballot does not have exactly one character per candidate.</summary>
    WrongLength,
    /// <summary>A character is neither a digit nor <c>*</c>.</summary>
    BadCharacter,
    /// <summary>A digit is above the election's maximum score.</summary>
    ScoreAboveMax,
}

/// <summary>
/// The original design's ballot format: <c>45432*3</c>, the i-th character is the score for candidate i
/// (<c>0</c>..max-score) or <c>*</c> for no score. One character per candidate, so max-score ≤ 9.
/// </summary>
public static class Ballot
{
    /// <summary>The ballot character for "no score for this candidate".</summary>
    public const char NoScore = '*';

    /// <summary>The highest max-score the one-character-per-candidate format can express.</summary>
    public const int MaxScoreLimit = 9;

    /// <summary>Most candidates an election may have (bounds every ballot buffer).</summary>
    public const int MaxCandidates = 200;

    /// <summary>
    /// Checks <paramref name="ballot"/> against an election with <paramref name="candidates"/> candidates
    /// scored 0..<paramref name="maxScore"/>. Returns null when valid, else the error and a precise reason.
    /// </summary>
    public static (BallotError Error, string Reason)? Validate(ReadOnlySpan<char> ballot, int candidates, int maxScore)
    {
        if (ballot.Length != candidates)
        {
            return (BallotError.WrongLength,
                $"wrong length: {ballot.Length} character{(ballot.Length == 1 ? "" : "s")} for {candidates} candidate{(candidates == 1 ? "" : "s")} (one score or * per candidate)");
        }

        for (var i = 0; i < ballot.Length; i++)
        {
            var c = ballot[i];
            if (c == NoScore)
            {
                continue;
            }

            if (c is < '0' or > '9')
            {
                return (BallotError.BadCharacter,
                    $"bad character {Describe(c)} for candidate {i + 1}: allowed are 0-{maxScore} and *");
            }

            if (c - '0' > maxScore)
            {
                return (BallotError.ScoreAboveMax,
                    $"score {c} for candidate {i + 1} is above the maximum score {maxScore}");
            }
        }

        return null;
    }

    private static string Describe(char c) =>
        char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : $"'{c}'";
}
