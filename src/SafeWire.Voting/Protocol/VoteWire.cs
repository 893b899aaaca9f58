using SafeWire.Framing;

namespace SafeWire.Voting.Protocol;

/// <summary>
/// Voting on the shared framing: frames are <see cref="FrameFormat.TypeThenLength24"/>, fields (on the wire and in
/// the canonical bytes this app signs and hashes) are written by <see cref="FieldWriter"/> and read by
/// <see cref="FieldReader"/>; every wire error is a <see cref="VoteProtocolException"/> with <see cref="VoteRefusal.Malformed"/>.
/// </summary>
internal sealed class VoteWire : IWireErrors
{
    public static VoteWire Errors { get; } = new();

    /// <summary>A reader over one message or one signed structure.</summary>
    public static FieldReader Reader(ReadOnlySpan<byte> bytes) => new(bytes, Errors, "voting");

    public Exception Create(WireError wireError) =>
        new VoteProtocolException(VoteRefusal.Malformed, wireError.Describe(((VoteMessageType)wireError.Type).ToString()));
}
