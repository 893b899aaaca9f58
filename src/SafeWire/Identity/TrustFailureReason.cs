namespace SafeWire.Identity;

/// <summary>Why a peer's identity was not trusted. Each value has its own message and its own test.</summary>
public enum TrustFailureReason
{
    /// <summary>The certificate's NotAfter is in the past.</summary>
    Expired,
    /// <summary>The certificate's NotBefore is in the future.</summary>
    NotYetValid,
    /// <summary>The chain does not lead to a trusted CA root (wrong CA, bad issuer signature).</summary>
    UntrustedIssuer,
    /// <summary>The certificate's serial number is on the CA's CRL.</summary>
    Revoked,
    /// <summary>The certificate does not name the host or client that was expected.</summary>
    NameMismatch,
    /// <summary>Key usage or extended key usage does not allow this role (e.g. a client certificate used by a server).</summary>
    WrongKeyUsage,
    /// <summary>The peer's public key is not on the allow-list.</summary>
    NotOnAllowList,
    /// <summary>A known host presented a different key than the one recorded (possible man in the middle).</summary>
    HostKeyChanged,
    /// <summary>The peer presented a raw key where a certificate was required, or an unknown key.</summary>
    UnknownKey,
    /// <summary>The certificate or key could not be parsed, or uses an unsupported algorithm.</summary>
    Malformed,
}
