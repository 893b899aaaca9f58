using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Protocol.KeySchedule;

/// <summary>
/// TLS 1.3's HKDF functions (RFC 8446 §7.1) with the label prefix as a parameter:
/// HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length) where
/// HkdfLabel = uint16 length | opaque label&lt;7..255&gt; = prefix + Label | opaque context&lt;0..255&gt;.
/// Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length).
/// </summary>
internal sealed class KeyDerivation
{
    /// <summary>SafeWire's production derivation: SHA-256 and the prefix "safewire1 ".</summary>
    public static readonly KeyDerivation SafeWire = new("safewire1 ", HashAlgorithmName.SHA256);

    /// <summary>TLS 1.3's own prefix, for checking the construction against RFC 8448.</summary>
    public static readonly KeyDerivation Tls13Sha256 = new("tls13 ", HashAlgorithmName.SHA256);

    private readonly byte[] _prefix;
    private readonly byte[] _emptyHash;

    public KeyDerivation(string labelPrefix, HashAlgorithmName hash)
    {
        ArgumentNullException.ThrowIfNull(labelPrefix);
        if (hash != HashAlgorithmName.SHA256 && hash != HashAlgorithmName.SHA384)
        {
            throw new ArgumentException("Only SHA-256 and SHA-384 are supported.", nameof(hash));
        }

        _prefix = Encoding.ASCII.GetBytes(labelPrefix);
        Hash = hash;
        HashLength = hash == HashAlgorithmName.SHA256 ? SHA256.HashSizeInBytes : SHA384.HashSizeInBytes;
        _emptyHash = new byte[HashLength];
        HashData([], _emptyHash);
    }

    public HashAlgorithmName Hash { get; }

    public int HashLength { get; }

    public string LabelPrefix => Encoding.ASCII.GetString(_prefix);

    /// <summary>Transcript-Hash of no messages.</summary>
    public ReadOnlySpan<byte> EmptyHash => _emptyHash;

    public void HashData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (Hash == HashAlgorithmName.SHA256)
        {
            SHA256.HashData(data, destination);
        }
        else
        {
            SHA384.HashData(data, destination);
        }
    }

    public IncrementalHash CreateTranscript() => IncrementalHash.CreateHash(Hash);

    /// <summary>HKDF-Extract(salt, IKM); an empty salt means Hash.length zero bytes (RFC 5869).</summary>
    public byte[] Extract(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> inputKeyMaterial)
    {
        var prk = new byte[HashLength];
        HKDF.Extract(Hash, inputKeyMaterial, salt, prk);
        return prk;
    }

    public void ExpandLabel(ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, Span<byte> output)
    {
        int labelLength = _prefix.Length + label.Length;
        if (labelLength > 255 || context.Length > 255 || output.Length > ushort.MaxValue)
        {
            throw new ArgumentException("Label, context or output too long for HkdfLabel.");
        }

        Span<byte> info = stackalloc byte[2 + 1 + 255 + 1 + 255];
        int n = 0;
        info[n++] = unchecked((byte)(output.Length >> 8));
        info[n++] = unchecked((byte)output.Length);
        info[n++] = (byte)labelLength;
        _prefix.CopyTo(info[n..]);
        n += _prefix.Length;
        n += Encoding.ASCII.GetBytes(label, info[n..]);
        info[n++] = (byte)context.Length;
        context.CopyTo(info[n..]);
        n += context.Length;
        HKDF.Expand(Hash, secret, output, info[..n]);
    }

    public byte[] ExpandLabel(ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, int length)
    {
        var output = new byte[length];
        ExpandLabel(secret, label, context, output);
        return output;
    }

    /// <summary>Derive-Secret with the transcript hash already computed.</summary>
    public byte[] DeriveSecret(ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> transcriptHash)
        => ExpandLabel(secret, label, transcriptHash, HashLength);
}
