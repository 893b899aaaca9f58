using System.Text.Json;
using System.Text.Json.Serialization;

namespace SafeWire.Voting;

/// <summary>What <c>vote init</c> fixes for an election; stored as election.json in the election's folder.</summary>
public sealed record ElectionDefinition
{
    /// <summary>The election's name (see <see cref="Identifiers"/>): names its folder, its board and its receipts.</summary>
    public required string Name { get; init; }

    /// <summary>How many candidates a ballot scores (1 to <see cref="Ballot.MaxCandidates"/>).</summary>
    public required int Candidates { get; init; }

    /// <summary>The highest score a ballot may give (1 to <see cref="Ballot.MaxScoreLimit"/>).</summary>
    public int MaxScore { get; init; } = Ballot.MaxScoreLimit;

    /// <summary>The candidates' display names in ballot order; empty: "Candidate 1", "Candidate 2" ….</summary>
    public IReadOnlyList<string> CandidateNames { get; init; } = [];

    /// <summary>Whether a voter may replace a counted ballot with a new one (the board records which entry it replaces).</summary>
    public bool AllowRevote { get; init; }

    /// <summary>null: SQLite in the election's folder; a file path (SQLite) or a PostgreSQL URL / connection string.</summary>
    public string? Database { get; init; }

    /// <summary>Display name of candidate <paramref name="index"/> (0-based): its given name, else "Candidate N".</summary>
    public string CandidateName(int index) =>
        index < CandidateNames.Count ? CandidateNames[index] : $"Candidate {index + 1}";

    /// <summary>Throws <see cref="VotingException"/> naming the first bad field.</summary>
    public void Validate()
    {
        Identifiers.EnsureValid(Name, "election name");
        if (Candidates is < 1 or > Ballot.MaxCandidates)
        {
            throw new VotingException($"--candidates must be between 1 and {Ballot.MaxCandidates} (got {Candidates}).");
        }

        if (MaxScore is < 1 or > Ballot.MaxScoreLimit)
        {
            throw new VotingException($"--max-score must be between 1 and {Ballot.MaxScoreLimit}: a ballot has one character per candidate (got {MaxScore}).");
        }

        if (CandidateNames.Count != 0 && CandidateNames.Count != Candidates)
        {
            throw new VotingException($"--names lists {CandidateNames.Count} names for {Candidates} candidates.");
        }

        if (CandidateNames.Any(string.IsNullOrWhiteSpace))
        {
            throw new VotingException("--names has an empty name.");
        }
    }
}

/// <summary>Election names and voter IDs: short, printable, safe as file names.</summary>
public static class Identifiers
{
    /// <summary>The longest name or ID, in characters.</summary>
    public const int MaxLength = 64;

    /// <summary>True for 1 to <see cref="MaxLength"/> letters, digits, <c>.</c>, <c>_</c> or <c>-</c>, not starting with <c>.</c> or <c>-</c>.</summary>
    public static bool IsValid(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxLength && value[0] != '.' && value[0] != '-'
        && value.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-');

    /// <summary>Throws <see cref="VotingException"/> naming <paramref name="what"/> (e.g. "voter ID") when <paramref name="value"/> is not valid.</summary>
    public static void EnsureValid(string? value, string what)
    {
        if (!IsValid(value))
        {
            throw new VotingException($"Invalid {what} \"{value}\": use 1-{MaxLength} letters, digits, '.', '_' or '-' (not starting with '.' or '-').");
        }
    }
}

/// <summary>
/// The JSON shape of the election's files (election.json, voter credentials, receipts): camelCase, indented, nulls left
/// out. Generated at compile time, so the native (ahead-of-time) build needs no reflection.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ElectionDefinition))]
[JsonSerializable(typeof(VoterCredential))]
[JsonSerializable(typeof(ReceiptFile))]
internal sealed partial class VotingJson : JsonSerializerContext;
