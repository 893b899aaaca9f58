namespace SafeWire.Protocol;

/// <summary>SafeWire's record protection suites; the value is the 16-bit code on the wire. All use HKDF-SHA256.</summary>
public enum CipherSuite : ushort
{
    /// <summary>AES-256-GCM, 16-byte tag. The default.</summary>
    Aes256Gcm = 0x0001,
    /// <summary>ChaCha20-Poly1305 (RFC 8439), 16-byte tag.</summary>
    ChaCha20Poly1305 = 0x0002,
    /// <summary>AES-256-CBC with HMAC-SHA256, encrypt-then-MAC (MAC over sequence, header, IV and ciphertext).</summary>
    Aes256CbcHmacSha256 = 0x0003,
}

internal static class CipherSuites
{
    /// <summary>Default preference order.</summary>
    public static readonly CipherSuite[] Default = [CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305, CipherSuite.Aes256CbcHmacSha256];

    public static bool IsKnown(ushort code) => code is >= 1 and <= 3;
}
