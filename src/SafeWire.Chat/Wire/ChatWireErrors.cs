using SafeWire.Framing;

namespace SafeWire.Chat.Wire;

/// <summary>Chat's wire errors: every one is a <see cref="ChatProtocolException"/>; the frame types are <see cref="ChatFrameType"/>.</summary>
internal sealed class ChatWireErrors : IWireErrors
{
    public static ChatWireErrors Instance { get; } = new();

    public Exception Create(WireError wireError) => wireError.Kind == WireErrorKind.UnknownType
        ? new ChatProtocolException($"Unknown chat frame type {wireError.Type}.")
        : new ChatProtocolException(wireError.Describe(((ChatFrameType)wireError.Type).ToString()));

    public bool IsKnownType(byte type) => Enum.IsDefined((ChatFrameType)type);
}
