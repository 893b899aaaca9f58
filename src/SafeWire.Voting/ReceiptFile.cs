using System.Text.Json;

namespace SafeWire.Voting;

/// <summary>
/// The receipt as a voter keeps it (JSON): the signed receipt, where the board can be read, and the election's
/// receipt key from the voter's credential, so <c>vote verify-receipt</c> needs nothing else. It does not say
/// how the voter voted.
/// </summary>
public sealed record ReceiptFile
{
    public const string FormatName = "safewire-vote-receipt-v1";

    public string Format { get; init; } = FormatName;

    public required string Election { get; init; }

    public required string VoterId { get; init; }

    public required long Sequence { get; init; }

    public required string BallotHash { get; init; }

    public required string BoardHead { get; init; }

    public required string Signature { get; init; }

    /// <summary>SPKI PEM of the election's receipt key (from the voter's credential).</summary>
    public required string ReceiptKey { get; init; }

    /// <summary>PEM of the CA that certifies the voting server (from the voter's credential), to read the board securely.</summary>
    public string? CaCertificate { get; init; }

    /// <summary>HOST:PORT of the server that issued it (where the board can be read).</summary>
    public string? Server { get; init; }

    public Receipt ToReceipt()
    {
        try
        {
            return new Receipt(Election, Sequence, Convert.FromHexString(BallotHash), Convert.FromHexString(BoardHead), Convert.FromBase64String(Signature));
        }
        catch (FormatException e)
        {
            throw new VotingException("The receipt file is damaged: " + e.Message, e);
        }
    }

    public static ReceiptFile From(Receipt receipt, VoterCredential credential, string voterId, string? server)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return From(receipt, credential.ReceiptKey, credential.CaCertificate, voterId, server);
    }

    /// <summary>The receipt file of a voter without a credential file: the receipt key and CA come from elsewhere (a join).</summary>
    public static ReceiptFile From(Receipt receipt, string receiptKeyPem, string? caCertificatePem, string voterId, string? server) => new()
    {
        Election = receipt.Election,
        VoterId = voterId,
        Sequence = receipt.Sequence,
        BallotHash = Convert.ToHexStringLower(receipt.BallotHash),
        BoardHead = Convert.ToHexStringLower(receipt.BoardHead),
        Signature = Convert.ToBase64String(receipt.Signature),
        ReceiptKey = receiptKeyPem,
        CaCertificate = caCertificatePem,
        Server = server,
    };

    public void Save(string path) =>
        SecureFile.WriteAllText(path, JsonSerializer.Serialize(this, VotingJson.Default.ReceiptFile), isPrivate: true);

    public static ReceiptFile Load(string path)
    {
        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllText(path), VotingJson.Default.ReceiptFile);
            return file is not null && file.Format == FormatName ? file : throw new VotingException($"{path} is not a SafeWire vote receipt.");
        }
        catch (JsonException e)
        {
            throw new VotingException($"{path} is not a SafeWire vote receipt (give the .receipt file that `vote cast` saved).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VotingException($"Cannot read receipt {path}: {e.Message}", e);
        }
    }
}
