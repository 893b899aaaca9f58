using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Transport;

namespace SafeWire.AspNetCore;

/// <summary>The feature over an authenticated <see cref="SecureStream"/>; it never exposes the stream itself.</summary>
internal sealed class SafeWireConnectionFeature(SecureStream stream) : ISafeWireConnectionFeature
{
    public PeerIdentity? RemoteIdentity { get; } = stream.RemoteIdentity;

    public CipherSuite CipherSuite { get; } = stream.CipherSuite ?? throw new InvalidOperationException("The channel is not authenticated.");

    public bool IsResumed { get; } = stream.IsResumed;

    public void ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> destination) =>
        stream.ExportKeyingMaterial(label, context, destination);
}
