namespace SafeWire.Framing;

/// <summary>What was wrong with a frame or one of its fields.</summary>
internal enum WireErrorKind
{
    /// <summary>A field runs past the end of the payload.</summary>
    Truncated,
    /// <summary>A text field's length prefix is over its limit.</summary>
    TextTooLong,
    /// <summary>A byte-string field's length prefix is over its limit.</summary>
    BytesTooLong,
    /// <summary>A text field is not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>Bytes are left after the last field.</summary>
    TrailingBytes,
    /// <summary>A fixed-size field's length prefix is not its size.</summary>
    WrongLength,
    /// <summary>A time field is outside what a date can hold.</summary>
    TimeOutOfRange,
    /// <summary>The frame header names a type the application does not know.</summary>
    UnknownType,
    /// <summary>The frame header announces a length outside the limit (checked before anything is allocated).</summary>
    FrameTooLong,
    /// <summary>The stream ended inside a frame header.</summary>
    EndInHeader,
    /// <summary>The stream ended inside a frame's payload.</summary>
    EndInPayload,
}

/// <summary>One framing or field error: its kind, the frame type and context, and the numbers involved.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Context">The application's name for what was being read (a frame type, a message name), or empty.</param>
/// <param name="Type">The frame type byte, when known.</param>
/// <param name="Length">The offending length (announced, or of the trailing bytes).</param>
/// <param name="Limit">The limit it broke, when there is one.</param>
internal readonly record struct WireError(WireErrorKind Kind, string Context, byte Type, long Length, long Limit)
{
    /// <summary>One sentence for users and logs; <paramref name="typeName"/> names the frame type when the context is empty.</summary>
    public string Describe(string? typeName = null)
    {
        string what = Context.Length > 0 ? Context : typeName ?? $"type {Type}";
        return Kind switch
        {
            WireErrorKind.Truncated => $"{what} message is truncated.",
            WireErrorKind.TextTooLong => $"{what} message: a text field of {Length} bytes is over its {Limit}-byte limit.",
            WireErrorKind.BytesTooLong => $"{what} message: a byte field of {Length} bytes is over its {Limit}-byte limit.",
            WireErrorKind.InvalidUtf8 => $"{what} message: a text field is not valid UTF-8.",
            WireErrorKind.TrailingBytes => $"{what} message has {Length} unexpected trailing bytes.",
            WireErrorKind.WrongLength => $"{what} message: a field of {Limit} bytes had {Length}.",
            WireErrorKind.TimeOutOfRange => $"{what} message: time {Length} is out of range.",
            WireErrorKind.UnknownType => $"Unknown message type {Type}.",
            WireErrorKind.FrameTooLong when Length == 0 => "A frame announced length 0; it must hold at least its type byte.",
            WireErrorKind.FrameTooLong => $"{what} frame of {Length} bytes is over the {Limit}-byte limit.",
            WireErrorKind.EndInHeader => "The connection closed in the middle of a frame header.",
            _ => $"The connection closed in the middle of a {what} message.",
        };
    }
}

/// <summary>
/// How an application reports wire errors: each turns a <see cref="WireError"/> into its own typed exception with
/// its own wording, so moving onto the shared framing changes neither the bytes nor the errors users see.
/// </summary>
internal interface IWireErrors
{
    /// <summary>The exception for <paramref name="wireError"/>.</summary>
    Exception Create(WireError wireError);

    /// <summary>Whether a frame type is known, checked from the header before the payload is read.</summary>
    bool IsKnownType(byte type) => true;
}
