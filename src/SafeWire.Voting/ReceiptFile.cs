using System.Text.Json;

namespace SafeWire.Voting;

/// <summary>
/// The receipt as a voter keeps it (JSON): the signed receipt, where the board can be read, and the election's
/// receipt key from the voter's credential, so <c>vote verify-receipt</c> needs nothing else. It does not say
/// how the voter voted.
/// </summary>
public sealed record ReceiptFile
{
    /// <summary>The value of <see cref="Format"/> in every receipt file of this version.</summary>
    public const string FormatName = "safewire-vote-receipt-v1";

    /// <summary>The file format and version; <see cref="Load"/> refuses any other.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The election the ballot was cast in.</summary>
    public required string Election { get; init; }

    /// <summary>The voter who cast it (kept by the voter only; the board names no voter).</summary>
    public required string VoterId { get; init; }

    /// <summary>The board entry that records the ballot.</summary>
    public required long Sequence { get; init; }

    /// <summary>The ballot's SHA-256, in hex.</summary>
    public required string BallotHash { get; init; }

    /// <summary>The hash of the board entry that records the ballot, in hex.</summary>
    public required string BoardHead { get; init; }

    /// <summary>The server's receipt signature, in base64.</summary>
    public required string Signature { get; init; }

    /// <summary>SPKI PEM of the election's receipt key (from the voter's credential).</summary>
    public required string ReceiptKey { get; init; }

    /// <summary>PEM of the CA that certifies the voting server (from the voter's credential), to read the board securely.</summary>
    public string? CaCertificate { get; init; }

    /// <summary>HOST:PORT of the server that issued it (where the board can be read).</summary>
    public string? Server { get; init; }

    /// <summary>The signed receipt in binary form; throws <see cref="VotingException"/> when a field is damaged.</summary>
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

    /// <summary>The file to save for <paramref name="receipt"/>, with the receipt key and CA from the voter's <paramref name="credential"/> and the <paramref name="server"/> (HOST:PORT) it came from.</summary>
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

    /// <summary>Writes the file as JSON, readable by the owner only.</summary>
    public void Save(string path) =>
        SecureFile.WriteAllText(path, JsonSerializer.Serialize(this, VotingJson.Default.ReceiptFile), isPrivate: true);

    /// <summary>Reads a receipt file; throws <see cref="VotingException"/> when it is unreadable or not a receipt.</summary>
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
