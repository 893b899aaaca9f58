namespace SafeWire.Chat.Wire;

/// <summary>The peer broke the chat protocol: a malformed or oversized frame, or a frame out of order.</summary>
public sealed class ChatProtocolException : IOException
{
    public ChatProtocolException(string message)
        : base(message)
    {
    }

    public ChatProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
