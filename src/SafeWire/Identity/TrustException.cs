namespace SafeWire.Identity;

/// <summary>A peer's identity was rejected by a trust policy. <see cref="Reason"/> says why.</summary>
public sealed class TrustException : Exception
{
    public TrustException(TrustFailureReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public TrustException(TrustFailureReason reason, string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public TrustFailureReason Reason { get; }
}
