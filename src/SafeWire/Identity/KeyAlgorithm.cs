namespace SafeWire.Identity;

/// <summary>Key pair algorithms SafeWire creates. Both are also accepted when read from files.</summary>
public enum KeyAlgorithm
{
    /// <summary>ECDSA on NIST P-256 (secp256r1): the default.</summary>
    EcdsaP256,
    /// <summary>RSA with a 3072-bit modulus (on request: <c>--rsa</c>).</summary>
    Rsa3072,
}
