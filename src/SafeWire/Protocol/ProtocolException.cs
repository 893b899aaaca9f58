using SafeWire.Identity;

namespace SafeWire.Protocol;

/// <summary>
/// A protocol failure inside the sans-I/O core: the peer misbehaved (<see cref="FromPeer"/> false: we send
/// <see cref="Alert"/>) or the peer told us it failed (<see cref="FromPeer"/> true: it sent the alert).
/// The transport turns it into a <c>SecureChannelException</c>.
/// </summary>
internal sealed class ProtocolException : Exception
{
    public ProtocolException(Alert alert, string message, TrustFailureReason? trustFailure = null, bool fromPeer = false, Exception? inner = null)
        : base(message, inner)
    {
        Alert = alert;
        TrustFailure = trustFailure;
        FromPeer = fromPeer;
    }

    public Alert Alert { get; }

    public TrustFailureReason? TrustFailure { get; }

    public bool FromPeer { get; }

    public static ProtocolException Decode(string what) => new(Alert.DecodeError, "Malformed " + what + ".");
}
