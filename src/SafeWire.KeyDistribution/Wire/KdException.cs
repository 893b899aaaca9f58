namespace SafeWire.KeyDistribution.Wire;

/// <summary>Why a key-distribution exchange failed. Each value has its own message for the user.</summary>
public enum KdError
{
    /// <summary>A frame could not be parsed, was too large, or had trailing bytes.</summary>
    Malformed,
    /// <summary>A message arrived that the current state does not allow ("expected X, got Y").</summary>
    UnexpectedMessage,
    /// <summary>The other side closed the connection before the exchange finished.</summary>
    ConnectionClosed,
    /// <summary>A chunk or file MAC did not verify: the data was changed in flight or the keys differ.</summary>
    IntegrityFailure,
    /// <summary>The peers do not hold the same transfer keys (key confirmation failed).</summary>
    KeyConfirmationFailed,
    /// <summary>The key manager refused a request (unknown, expired, reused or foreign transfer, no such peer).</summary>
    Refused,
    /// <summary>The receiver declined the file.</summary>
    Declined,
    /// <summary>A local file could not be read or written.</summary>
    FileError,
    /// <summary>The other peer reported a failure.</summary>
    PeerFailed,
}

/// <summary>A failure of the key-distribution protocol, local or remote; <see cref="Error"/> says which kind.</summary>
public sealed class KdException : IOException
{
    /// <summary>Creates the exception for <paramref name="error"/> with a one-line message for the user.</summary>
    public KdException(KdError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>Creates the exception for <paramref name="error"/> with a message and the error that caused it.</summary>
    public KdException(KdError error, string message, Exception innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>The kind of failure, for a caller that reacts differently to, say, a refusal and a broken connection.</summary>
    public KdError Error { get; }
}
