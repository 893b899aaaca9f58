namespace SafeWire.Identity;

/// <summary>A peer's identity was rejected by a trust policy. <see cref="Reason"/> says why.</summary>
public sealed class TrustException : Exception
{
    /// <summary>Refuses a peer for <paramref name="reason"/>; <paramref name="message"/> says what to do about it.</summary>
    public TrustException(TrustFailureReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Refuses a peer, keeping the error that caused the refusal.</summary>
    public TrustException(TrustFailureReason reason, string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the peer was refused; the handshake turns it into <see cref="Transport.SecureChannelException.TrustFailure"/>.</summary>
    public TrustFailureReason Reason { get; }
}
