namespace SafeWire.Chat.Wire;

/// <summary>The peer broke the chat protocol: a malformed or oversized frame, or a frame out of order.</summary>
public sealed class ChatProtocolException : IOException
{
    /// <summary>Creates the exception with a one-line description of what the peer did wrong.</summary>
    public ChatProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a description and the error that revealed it.</summary>
    public ChatProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
