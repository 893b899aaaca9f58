using SafeWire.Identity;
using SafeWire.Protocol;

namespace SafeWire.Transport;

/// <summary>
/// A secure channel failed: the handshake was refused, a record did not authenticate, the peer sent an
/// alert, or the connection was cut without close_notify. <see cref="Alert"/> says what; for trust
/// failures <see cref="TrustFailure"/> says why. The message tells the user what to do.
/// </summary>
public sealed class SecureChannelException : IOException
{
    /// <summary>Creates the exception for <paramref name="alert"/>; <paramref name="message"/> is shown to the user and says what to do.</summary>
    public SecureChannelException(Alert alert, string message, TrustFailureReason? trustFailure = null, bool sentByPeer = false, Exception? innerException = null)
        : base(message, innerException)
    {
        Alert = alert;
        TrustFailure = trustFailure;
        SentByPeer = sentByPeer;
    }

    /// <summary>What failed, as the protocol's alert (sent to or received from the peer).</summary>
    public Alert Alert { get; }

    /// <summary>For certificate and key failures: the trust policy's reason (also carried in the peer's alert).</summary>
    public TrustFailureReason? TrustFailure { get; }

    /// <summary>True when the peer reported the failure (it sent the alert); false when this side detected it.</summary>
    public bool SentByPeer { get; }
}
