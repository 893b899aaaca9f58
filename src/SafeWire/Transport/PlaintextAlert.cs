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
        RecordHeader.Write(record, ContentType.Alert, new byte[ProtocolConstants.SessionIdLength], 2);
        record[ProtocolConstants.RecordHeaderLength] = (byte)alert;
        record[ProtocolConstants.RecordHeaderLength + 1] = 0xFF;
        return record;
    }
}
