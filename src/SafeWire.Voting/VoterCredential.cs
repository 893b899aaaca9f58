using System.Security.Cryptography;
using System.Text.Json;

namespace SafeWire.Voting;

/// <summary>
/// What a registered voter holds (a JSON file, 0600): the election, the voter ID, the voter's private ECDSA
/// P-256 key, and the election's public keys (RSA for wrapping ballot keys, ECDSA for checking receipts)
/// as handed out at registration, so a voter never has to trust keys sent during the vote.
/// </summary>
public sealed record VoterCredential
{
    /// <summary>The value of <see cref="Format"/> in every credential of this version.</summary>
    public const string FormatName = "safewire-voter-credential-v1";

    /// <summary>The file format and version; <see cref="Load"/> refuses any other.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The election this credential votes in.</summary>
    public required string Election { get; init; }

    /// <summary>The registered voter ID.</summary>
    public required string VoterId { get; init; }

    /// <summary>PKCS#8 PEM of the voter's ECDSA P-256 key.</summary>
    public required string PrivateKey { get; init; }

    /// <summary>SPKI PEM of the election's RSA-3072 key.</summary>
    public required string ElectionKey { get; init; }

    /// <summary>SPKI PEM of the election's receipt-signing ECDSA key.</summary>
    public required string ReceiptKey { get; init; }

    /// <summary>PEM of the CA that issues the voting server's certificate (empty: the voter's own home CA is used).</summary>
    public string? CaCertificate { get; init; }

    /// <summary>Writes the credential as JSON, readable by the owner only; refuses to overwrite an existing file.</summary>
    public void Save(string path) =>
        SecureFile.WriteAllText(path, JsonSerializer.Serialize(this, VotingJson.Default.VoterCredential), isPrivate: true, overwrite: false);

    /// <summary>Reads a credential; throws <see cref="VotingException"/> when it is unreadable, not a credential, or names an invalid election or voter.</summary>
    public static VoterCredential Load(string path)
    {
        try
        {
            var credential = JsonSerializer.Deserialize(File.ReadAllText(path), VotingJson.Default.VoterCredential);
            if (credential is null || credential.Format != FormatName)
            {
                throw new VotingException($"{path} is not a SafeWire voter credential.");
            }

            Identifiers.EnsureValid(credential.Election, "election name");
            Identifiers.EnsureValid(credential.VoterId, "voter ID");
            return credential;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new VotingException($"Cannot read credential {path}: {e.Message}", e);
        }
    }

    /// <summary>The voter's signing key (the caller disposes it).</summary>
    public ECDsa LoadPrivateKey() => Import(ECDsa.Create(), PrivateKey, "voter key");

    /// <summary>The election's public RSA key, which ballot session keys are wrapped to (the caller disposes it).</summary>
    public RSA LoadElectionKey() => Import(RSA.Create(), ElectionKey, "election key");

    /// <summary>The election's public receipt key, which receipts are checked with (the caller disposes it).</summary>
    public ECDsa LoadReceiptKey() => Import(ECDsa.Create(), ReceiptKey, "receipt key");

    private static T Import<T>(T key, string pem, string what)
        where T : AsymmetricAlgorithm
    {
        try
        {
            key.ImportFromPem(pem);
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or NotSupportedException)
        {
            key.Dispose();
            throw new VotingException($"The credential's {what} is damaged: {e.Message}", e);
        }
    }
}
