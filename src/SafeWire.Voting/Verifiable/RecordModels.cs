using System.Text.Json.Serialization;

namespace SafeWire.Voting.Verifiable;

/// <summary>What a verifiable election counts: its name, candidates, the highest score and the candidates' names.</summary>
public sealed record VerifiableManifest
{
    /// <summary>The election's name.</summary>
    public required string Name { get; init; }

    /// <summary>Number of candidates.</summary>
    public required int Candidates { get; init; }

    /// <summary>Highest score (1..9).</summary>
    public required int MaxScore { get; init; }

    /// <summary>One name per candidate.</summary>
    public required IReadOnlyList<string> CandidateNames { get; init; }
}

/// <summary>A proof pair in the record: challenge and response as 64 hex digits each.</summary>
public sealed record ProofJson(string Challenge, string Response);

/// <summary>A ciphertext in the record: α and β as 1024 hex digits each.</summary>
public sealed record CiphertextJson(string Alpha, string Beta);

/// <summary>The group and its parameter hash, as published.</summary>
public sealed record ParametersJson
{
    /// <summary>The specification version hashed into H_P.</summary>
    public required string Version { get; init; }

    /// <summary>p, 1024 hex digits.</summary>
    public required string P { get; init; }

    /// <summary>q, 64 hex digits.</summary>
    public required string Q { get; init; }

    /// <summary>g, 1024 hex digits.</summary>
    public required string G { get; init; }

    /// <summary>H_P, 64 hex digits.</summary>
    [JsonPropertyName("hP")]
    public required string HP { get; init; }
}

/// <summary>election.json of the record: parameters, manifest, guardians, joint key and the base hashes.</summary>
public sealed record ElectionRecordJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.Election;

    /// <summary>The group.</summary>
    public required ParametersJson Parameters { get; init; }

    /// <summary>What is counted.</summary>
    public required VerifiableManifest Manifest { get; init; }

    /// <summary>H_M.</summary>
    [JsonPropertyName("hM")]
    public required string HM { get; init; }

    /// <summary>n, the number of guardians.</summary>
    public required int Guardians { get; init; }

    /// <summary>k, how many guardians decrypt.</summary>
    public required int Quorum { get; init; }

    /// <summary>H_B.</summary>
    [JsonPropertyName("hB")]
    public required string HB { get; init; }

    /// <summary>The joint election public key K (hex), absent before the key ceremony ends.</summary>
    public string? JointKey { get; init; }

    /// <summary>H_E (hex), absent before the key ceremony ends.</summary>
    [JsonPropertyName("hE")]
    public string? HE { get; init; }
}

/// <summary>A guardian's public key: the commitments to its polynomial with their proofs, and its key for receiving shares.</summary>
public sealed record GuardianPublicKeyJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.GuardianKey;

    /// <summary>The election.</summary>
    public required string Election { get; init; }

    /// <summary>The guardian's index i, 1..n.</summary>
    public required int Index { get; init; }

    /// <summary>The guardian's name.</summary>
    public required string Name { get; init; }

    /// <summary>K_i,j = g^(a_i,j) for j = 0..k-1.</summary>
    public required IReadOnlyList<string> Commitments { get; init; }

    /// <summary>One Schnorr proof per commitment.</summary>
    public required IReadOnlyList<ProofJson> CoefficientProofs { get; init; }

    /// <summary>κ_i = g^(ζ_i): the key other guardians encrypt shares to.</summary>
    public required string CommunicationKey { get; init; }

    /// <summary>The Schnorr proof for κ_i.</summary>
    public required ProofJson CommunicationProof { get; init; }
}

/// <summary>A guardian's secret file (0600, in the guardian's own home): its polynomial, its share key, and later its key share.</summary>
public sealed record GuardianSecretJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.GuardianSecret;

    /// <summary>The election.</summary>
    public required string Election { get; init; }

    /// <summary>The guardian's index.</summary>
    public required int Index { get; init; }

    /// <summary>The guardian's name.</summary>
    public required string Name { get; init; }

    /// <summary>n.</summary>
    public required int Guardians { get; init; }

    /// <summary>k.</summary>
    public required int Quorum { get; init; }

    /// <summary>a_i,0 … a_i,k-1 (hex).</summary>
    public required IReadOnlyList<string> Coefficients { get; init; }

    /// <summary>ζ_i (hex).</summary>
    public required string CommunicationSecret { get; init; }

    /// <summary>z_i = P(i), the guardian's share of the joint secret, once every share was received and checked.</summary>
    public string? KeyShare { get; init; }

    /// <summary>The joint key the guardian accepted (hex).</summary>
    public string? JointKey { get; init; }
}

/// <summary>P_from(to) encrypted to guardian <see cref="To"/>: hashed ElGamal key agreement, then AES-256-GCM.</summary>
public sealed record EncryptedShareJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.Share;

    /// <summary>The election.</summary>
    public required string Election { get; init; }

    /// <summary>The sending guardian.</summary>
    public required int From { get; init; }

    /// <summary>The receiving guardian.</summary>
    public required int To { get; init; }

    /// <summary>α = g^ξ (hex).</summary>
    public required string Alpha { get; init; }

    /// <summary>AES-256-GCM ciphertext and tag of the 32-byte share (base64).</summary>
    public required string Sealed { get; init; }
}

/// <summary>One candidate's part of an encrypted ballot.</summary>
public sealed record CandidateCiphertextJson
{
    /// <summary>Encryption of the score 0..max, or of the no-score value for <c>*</c>.</summary>
    public required CiphertextJson Ciphertext { get; init; }

    /// <summary>Proof that the ciphertext encrypts one of 0..max and the no-score value: max + 2 pairs.</summary>
    public required IReadOnlyList<ProofJson> Proof { get; init; }
}

/// <summary>An encrypted, signed ballot as sent by the voter and published in ballots.json.</summary>
public sealed record EncryptedBallotJson
{
    /// <summary>The election.</summary>
    public required string Election { get; init; }

    /// <summary>The voter's ID.</summary>
    public required string VoterId { get; init; }

    /// <summary>Position on the record, 1.. (absent until recorded).</summary>
    public long? Sequence { get; init; }

    /// <summary>The confirmation code (hex).</summary>
    public required string Code { get; init; }

    /// <summary>ECDSA P-256 signature (IEEE P1363, base64) of the voter's registered key over the signed bytes.</summary>
    public required string Signature { get; init; }

    /// <summary>One entry per candidate.</summary>
    public required IReadOnlyList<CandidateCiphertextJson> Candidates { get; init; }
}

/// <summary>A registered voter on the record.</summary>
public sealed record VoterJson(string VoterId, string PublicKey);

/// <summary>One guardian's partial decryption M_i = A^(z_i) of one candidate's encrypted sum (hex), with its proof.</summary>
public sealed record PartialValueJson(string Value, ProofJson Proof);

/// <summary>One guardian's partial decryption of the whole tally.</summary>
public sealed record PartialDecryptionJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.Partial;

    /// <summary>The election.</summary>
    public required string Election { get; init; }

    /// <summary>The guardian's index.</summary>
    public required int Guardian { get; init; }

    /// <summary>One entry per candidate.</summary>
    public required IReadOnlyList<PartialValueJson> Candidates { get; init; }
}

/// <summary>The result of one candidate.</summary>
public sealed record ResultJson
{
    /// <summary>The candidate's number, 1..</summary>
    public required int Candidate { get; init; }

    /// <summary>The candidate's name.</summary>
    public required string Name { get; init; }

    /// <summary>Sum of the scores.</summary>
    public required long Sum { get; init; }

    /// <summary>How many ballots gave no score (<c>*</c>).</summary>
    public required long NoScore { get; init; }
}

/// <summary>tally.json of the record: the encrypted sums, the guardians' partial decryptions, the result.</summary>
public sealed record TallyJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.Tally;

    /// <summary>The election.</summary>
    public required string Election { get; init; }

    /// <summary>Number of ballots multiplied in.</summary>
    public required int Ballots { get; init; }

    /// <summary>Per candidate, the product of all ballots' ciphertexts.</summary>
    public required IReadOnlyList<CiphertextJson> Encrypted { get; init; }

    /// <summary>Partial decryptions of at least k guardians (absent before decryption).</summary>
    public IReadOnlyList<PartialDecryptionJson>? Partials { get; init; }

    /// <summary>The counts (absent before decryption).</summary>
    public IReadOnlyList<ResultJson>? Result { get; init; }
}

/// <summary>What a voter of a verifiable election holds (0600): the signing key and the election's public record.</summary>
public sealed record VerifiableCredentialJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.Credential;

    /// <summary>The voter's ID.</summary>
    public required string VoterId { get; init; }

    /// <summary>PKCS#8 PEM of the voter's ECDSA P-256 key.</summary>
    public required string PrivateKey { get; init; }

    /// <summary>PEM of the CA that certifies the voting server.</summary>
    public string? CaCertificate { get; init; }

    /// <summary>The election's parameters, manifest and joint key.</summary>
    public required ElectionRecordJson Election { get; init; }
}

/// <summary>A challenged (not cast) ballot: the encryption, the secret that opens it, and what the voter typed.</summary>
public sealed record ChallengedBallotJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.Challenge;

    /// <summary>The election's public data.</summary>
    public required ElectionRecordJson Election { get; init; }

    /// <summary>The encrypted ballot.</summary>
    public required EncryptedBallotJson Ballot { get; init; }

    /// <summary>The ballot nonce (hex) from which every encryption nonce derives.</summary>
    public required string BallotNonce { get; init; }

    /// <summary>The ballot as typed.</summary>
    public required string Typed { get; init; }
}

/// <summary>What a voter keeps after casting: the confirmation code and where the ballot was recorded.</summary>
public sealed record CastReceiptJson
{
    /// <summary>The format name.</summary>
    public string Format { get; init; } = VerifiableFormats.Receipt;

    /// <summary>The election.</summary>
    public required string Election { get; init; }

    /// <summary>The voter's ID.</summary>
    public required string VoterId { get; init; }

    /// <summary>The confirmation code (hex).</summary>
    public required string Code { get; init; }

    /// <summary>Position on the record.</summary>
    public required long Sequence { get; init; }
}

/// <summary>The <c>format</c> names of the verifiable mode's files.</summary>
public static class VerifiableFormats
{
    /// <summary>election.json.</summary>
    public const string Election = "safewire-verifiable-election-v2";

    /// <summary>election.json of the first format (two ciphertexts and three proofs per candidate), no longer read.</summary>
    public const string ElectionV1 = "safewire-verifiable-election-v1";

    /// <summary>A guardian's public key.</summary>
    public const string GuardianKey = "safewire-guardian-key-v1";

    /// <summary>A guardian's secret.</summary>
    public const string GuardianSecret = "safewire-guardian-secret-v1";

    /// <summary>An encrypted share.</summary>
    public const string Share = "safewire-guardian-share-v1";

    /// <summary>A partial decryption.</summary>
    public const string Partial = "safewire-partial-decryption-v2";

    /// <summary>tally.json.</summary>
    public const string Tally = "safewire-verifiable-tally-v2";

    /// <summary>A voter credential.</summary>
    public const string Credential = "safewire-verifiable-credential-v1";

    /// <summary>A challenged ballot.</summary>
    public const string Challenge = "safewire-challenged-ballot-v2";

    /// <summary>A voter's receipt.</summary>
    public const string Receipt = "safewire-verifiable-receipt-v1";
}

/// <summary>Source-generated JSON for the verifiable mode's files: camelCase, indented, nulls left out.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ElectionRecordJson))]
[JsonSerializable(typeof(GuardianPublicKeyJson))]
[JsonSerializable(typeof(GuardianSecretJson))]
[JsonSerializable(typeof(EncryptedShareJson))]
[JsonSerializable(typeof(EncryptedBallotJson))]
[JsonSerializable(typeof(List<EncryptedBallotJson>))]
[JsonSerializable(typeof(List<GuardianPublicKeyJson>))]
[JsonSerializable(typeof(List<VoterJson>))]
[JsonSerializable(typeof(TallyJson))]
[JsonSerializable(typeof(PartialDecryptionJson))]
[JsonSerializable(typeof(VerifiableCredentialJson))]
[JsonSerializable(typeof(ChallengedBallotJson))]
[JsonSerializable(typeof(CastReceiptJson))]
internal sealed partial class VerifiableJson : JsonSerializerContext;
