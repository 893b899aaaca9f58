using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Records;

namespace SafeWire.Transport;

/// <summary>An alert record sent before any keys exist (plaintext, session ID zero), e.g. to refuse a connection as busy.</summary>
internal static class PlaintextAlert
{
    public const int Length = ProtocolConstants.RecordHeaderLength + 2;

    public static byte[] Record(Alert alert)
    {
        var record = new byte[Length];
        Write(alert, null, record);
        return record;
    }

    /// <summary>Writes the record into <paramref name="destination"/> (at least <see cref="Length"/> bytes); returns its length.</summary>
    public static int Write(Alert alert, TrustFailureReason? reason, Span<byte> destination)
    {
        RecordHeader.Write(destination, ContentType.Alert, new byte[ProtocolConstants.SessionIdLength], 2);
        destination[ProtocolConstants.RecordHeaderLength] = (byte)alert;
        destination[ProtocolConstants.RecordHeaderLength + 1] = reason is { } r ? (byte)r : (byte)0xFF;
        return Length;
    }
}
