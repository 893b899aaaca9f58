namespace SafeWire.Protocol;

/// <summary>Record content types (the first byte of every record header).</summary>
internal enum ContentType : byte
{
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
}

/// <summary>Fixed sizes and limits of the wire format (docs/PROTOCOL.md, "Limits").</summary>
internal static class ProtocolConstants
{
    /// <summary>The only protocol version: "SafeWire 1".</summary>
    public const ushort Version = 0x5701;

    public const int SessionIdLength = 16;
    public const int RandomLength = 32;

    /// <summary>content type (1) | version (2) | session ID (16) | length (2).</summary>
    public const int RecordHeaderLength = 1 + 2 + SessionIdLength + 2;

    /// <summary>Largest application plaintext carried by one record.</summary>
    public const int MaxPlaintext = 16 * 1024;

    /// <summary>Largest record body on the wire (plaintext + inner type + any suite's overhead, with slack).</summary>
    public const int MaxCiphertext = MaxPlaintext + 256;

    public const int MaxRecordLength = RecordHeaderLength + MaxCiphertext;

    /// <summary>Largest single handshake message (a certificate chain is the big one).</summary>
    public const int MaxHandshakeMessage = 64 * 1024;

    /// <summary>Uncompressed SEC1 P-256 point: 04 | X | Y.</summary>
    public const int P256PointLength = 65;

    public const int FinishedLength = 32;

    /// <summary>Per-key record budget before a key update (AES-GCM is safe to about 2^24 full records).</summary>
    public const long DefaultKeyUpdateRecords = 1L << 22;
}
