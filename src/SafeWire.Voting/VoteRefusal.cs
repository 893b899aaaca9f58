namespace SafeWire.Voting;

/// <summary>Why the server said "no" (sent on the wire as one byte; never renumber).</summary>
public enum VoteRefusal : byte
{
    /// <summary>The voter ID is not on the election's voter list. Ends the exchange.</summary>
    NotRegistered = 1,
    /// <summary>The ballot does not have one character per candidate. The voter may send a corrected ballot.</summary>
    WrongLength = 2,
    /// <summary>A ballot character is neither a digit nor <c>*</c>. The voter may send a corrected ballot.</summary>
    BadCharacter = 3,
    /// <summary>A score is above the election's maximum. The voter may send a corrected ballot.</summary>
    ScoreAboveMax = 4,
    /// <summary>The signature does not verify with the voter's registered key.</summary>
    BadSignature = 5,
    /// <summary>The wrapped session key or the ciphertext did not decrypt (one reason for both: no padding oracle).</summary>
    Undecryptable = 6,
    /// <summary>The message belongs to another exchange (replay).</summary>
    WrongExchange = 7,
    /// <summary>The voter's ballot is already counted and the election does not allow revoting. Ends the exchange.</summary>
    AlreadyVoted = 8,
    /// <summary>The election is closed. Ends the exchange.</summary>
    ElectionClosed = 9,
    /// <summary>A message could not be parsed or came out of order. Ends the exchange.</summary>
    Malformed = 10,
    /// <summary>Too many refused ballots in one exchange. Ends the exchange.</summary>
    TooManyAttempts = 11,
    /// <summary>The board request named another election. Ends the exchange.</summary>
    UnknownElection = 12,
}

/// <summary>Which refusals leave the exchange open for a corrected ballot.</summary>
public static class VoteRefusalExtensions
{
    /// <summary>True when the voter may send a corrected ballot in the same exchange after this refusal; false when it ends the exchange.</summary>
    public static bool AllowsRetry(this VoteRefusal refusal) => refusal is
        VoteRefusal.WrongLength or VoteRefusal.BadCharacter or VoteRefusal.ScoreAboveMax
        or VoteRefusal.BadSignature or VoteRefusal.Undecryptable or VoteRefusal.WrongExchange;

    internal static VoteRefusal ToRefusal(this BallotError error) => error switch
    {
        BallotError.WrongLength => VoteRefusal.WrongLength,
        BallotError.BadCharacter => VoteRefusal.BadCharacter,
        BallotError.ScoreAboveMax => VoteRefusal.ScoreAboveMax,
        _ => throw new ArgumentOutOfRangeException(nameof(error)),
    };
}

/// <summary>The peer broke the voting protocol (bad framing, bad field, wrong order). Carries the refusal to report.</summary>
public sealed class VoteProtocolException : IOException
{
    /// <summary>Creates the exception with the refusal to send and a one-line description.</summary>
    public VoteProtocolException(VoteRefusal refusal, string message)
        : base(message)
    {
        Refusal = refusal;
    }

    /// <summary>The refusal the server reports to the peer.</summary>
    public VoteRefusal Refusal { get; }
}

/// <summary>A local voting operation failed (missing election, bad file, closed election...). The message is for the user.</summary>
public sealed class VotingException : Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public VotingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and the error behind it.</summary>
    public VotingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
