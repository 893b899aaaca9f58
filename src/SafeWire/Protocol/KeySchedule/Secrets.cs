using System.Security.Cryptography;

namespace SafeWire.Protocol.KeySchedule;

// The key schedule as typestates (RFC 8446 §7.1): each stage is its own type and can only produce the next,
// so application data can never be protected with a handshake secret by mistake.
//
//             0 (or resumption PSK)
//             |
//   0 -> HKDF-Extract = EarlySecret
//             |  Derive-Secret(., "derived", "")
//   (EC)DHE -> HKDF-Extract = HandshakeSecret -> "c hs traffic" / "s hs traffic" (CH..SH)
//             |  Derive-Secret(., "derived", "")
//   0 -> HKDF-Extract = MasterSecret -> "c ap traffic" / "s ap traffic" / "exp master" (CH..server Finished)
//                                    -> "res master" (CH..client Finished)

/// <summary>A secret owned by one key-schedule stage; zeroed on Dispose.</summary>
internal abstract class Secret : IDisposable
{
    private readonly byte[] _value;

    protected Secret(KeyDerivation derivation, byte[] value)
    {
        Derivation = derivation;
        _value = value;
    }

    public KeyDerivation Derivation { get; }

    /// <summary>The raw secret, for derivations and tests only.</summary>
    public ReadOnlySpan<byte> Value => _value;

    public void Dispose() => CryptographicOperations.ZeroMemory(_value);
}

internal sealed class EarlySecret : Secret
{
    private EarlySecret(KeyDerivation derivation, byte[] value)
        : base(derivation, value)
    {
    }

    /// <summary>HKDF-Extract(0, PSK), where no PSK means Hash.length zeros.</summary>
    public static EarlySecret Create(KeyDerivation derivation, ReadOnlySpan<byte> preSharedKey)
    {
        Span<byte> zeros = stackalloc byte[derivation.HashLength];
        zeros.Clear();
        return new EarlySecret(derivation, derivation.Extract(zeros, preSharedKey.IsEmpty ? zeros : preSharedKey));
    }

    public HandshakeSecret ToHandshakeSecret(ReadOnlySpan<byte> sharedSecret)
    {
        var derived = Derivation.DeriveSecret(Value, "derived", Derivation.EmptyHash);
        try
        {
            return new HandshakeSecret(Derivation, Derivation.Extract(derived, sharedSecret));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
    }
}

internal sealed class HandshakeSecret : Secret
{
    internal HandshakeSecret(KeyDerivation derivation, byte[] value)
        : base(derivation, value)
    {
    }

    /// <summary>"c hs traffic" over Transcript-Hash(ClientHello..ServerHello).</summary>
    public HandshakeTrafficSecret ClientTrafficSecret(ReadOnlySpan<byte> transcriptHash)
        => new(Derivation, Derivation.DeriveSecret(Value, "c hs traffic", transcriptHash));

    /// <summary>"s hs traffic" over Transcript-Hash(ClientHello..ServerHello).</summary>
    public HandshakeTrafficSecret ServerTrafficSecret(ReadOnlySpan<byte> transcriptHash)
        => new(Derivation, Derivation.DeriveSecret(Value, "s hs traffic", transcriptHash));

    public MasterSecret ToMasterSecret()
    {
        var derived = Derivation.DeriveSecret(Value, "derived", Derivation.EmptyHash);
        Span<byte> zeros = stackalloc byte[Derivation.HashLength];
        zeros.Clear();
        try
        {
            return new MasterSecret(Derivation, Derivation.Extract(derived, zeros));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
    }
}

internal sealed class MasterSecret : Secret
{
    internal MasterSecret(KeyDerivation derivation, byte[] value)
        : base(derivation, value)
    {
    }

    /// <summary>"c ap traffic" over Transcript-Hash(ClientHello..server Finished).</summary>
    public ApplicationTrafficSecret ClientTrafficSecret(ReadOnlySpan<byte> transcriptHash)
        => new(Derivation, Derivation.DeriveSecret(Value, "c ap traffic", transcriptHash));

    /// <summary>"s ap traffic" over Transcript-Hash(ClientHello..server Finished).</summary>
    public ApplicationTrafficSecret ServerTrafficSecret(ReadOnlySpan<byte> transcriptHash)
        => new(Derivation, Derivation.DeriveSecret(Value, "s ap traffic", transcriptHash));

    /// <summary>"exp master" over Transcript-Hash(ClientHello..server Finished).</summary>
    public ExporterSecret ExporterSecret(ReadOnlySpan<byte> transcriptHash)
        => new(Derivation, Derivation.DeriveSecret(Value, "exp master", transcriptHash));

    /// <summary>"res master" over Transcript-Hash(ClientHello..client Finished).</summary>
    public ResumptionSecret ResumptionSecret(ReadOnlySpan<byte> transcriptHash)
        => new(Derivation, Derivation.DeriveSecret(Value, "res master", transcriptHash));
}

/// <summary>A per-direction traffic secret: yields the record keys and the Finished key.</summary>
internal abstract class TrafficSecret : Secret
{
    protected TrafficSecret(KeyDerivation derivation, byte[] value)
        : base(derivation, value)
    {
    }

    /// <summary>finished_key = HKDF-Expand-Label(secret, "finished", "", Hash.length).</summary>
    public byte[] FinishedKey() => Derivation.ExpandLabel(Value, "finished", [], Derivation.HashLength);

    /// <summary>HKDF-Expand-Label(secret, label, "", length): "key", "iv" and (CBC suite) "mac".</summary>
    public void DeriveKey(string label, Span<byte> output) => Derivation.ExpandLabel(Value, label, [], output);
}

internal sealed class HandshakeTrafficSecret : TrafficSecret
{
    internal HandshakeTrafficSecret(KeyDerivation derivation, byte[] value)
        : base(derivation, value)
    {
    }
}

internal sealed class ApplicationTrafficSecret : TrafficSecret
{
    internal ApplicationTrafficSecret(KeyDerivation derivation, byte[] value)
        : base(derivation, value)
    {
    }

    /// <summary>The key update ratchet: HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length).</summary>
    public ApplicationTrafficSecret Next() => new(Derivation, Derivation.ExpandLabel(Value, "traffic upd", [], Derivation.HashLength));
}

internal sealed class ExporterSecret : Secret
{
    internal ExporterSecret(KeyDerivation derivation, byte[] value)
        : base(derivation, value)
    {
    }

    /// <summary>RFC 8446 §7.5: HKDF-Expand-Label(Derive-Secret(secret, label, ""), "exporter", Hash(context), length).</summary>
    public void Export(string label, ReadOnlySpan<byte> context, Span<byte> destination)
    {
        var perLabel = Derivation.DeriveSecret(Value, label, Derivation.EmptyHash);
        Span<byte> contextHash = stackalloc byte[Derivation.HashLength];
        try
        {
            Derivation.HashData(context, contextHash);
            Derivation.ExpandLabel(perLabel, "exporter", contextHash, destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(perLabel);
        }
    }
}

internal sealed class ResumptionSecret : Secret
{
    internal ResumptionSecret(KeyDerivation derivation, byte[] value)
        : base(derivation, value)
    {
    }

    /// <summary>The ticket's PSK: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length).</summary>
    public byte[] TicketPsk(ReadOnlySpan<byte> ticketNonce) => Derivation.ExpandLabel(Value, "resumption", ticketNonce, Derivation.HashLength);
}
