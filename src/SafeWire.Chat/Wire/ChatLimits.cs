namespace SafeWire.Chat.Wire;

/// <summary>Hard limits, checked before anything is allocated for the peer.</summary>
internal static class ChatLimits
{
    /// <summary>Largest frame payload accepted (the header's length field is checked against it first).</summary>
    public const int MaxFramePayload = 64 * 1024;

    /// <summary>Largest chat line, in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 8 * 1024;

    /// <summary>Largest display name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 64;

    /// <summary>Largest chunk of opaque end-to-end bytes carried in one <see cref="ChatFrameType.DirectData"/> frame.</summary>
    public const int MaxDirectChunk = 32 * 1024;

    /// <summary>
    /// Members listed in one Welcome or WhoList (each at most 4 + 2 + 64 + 2 + 51 bytes, so 500 fit in a frame);
    /// the frames also carry the total, so a client can say "and N more".
    /// </summary>
    public const int MaxListedMembers = 500;

    /// <summary>Size of the hop proof (an exporter value).</summary>
    public const int HopProofLength = 32;
}
