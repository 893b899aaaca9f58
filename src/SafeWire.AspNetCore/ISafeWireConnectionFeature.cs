using SafeWire.Identity;
using SafeWire.Protocol;

namespace SafeWire.AspNetCore;

/// <summary>
/// The SafeWire channel a connection runs over, for endpoints and middleware: who the peer is and what was
/// negotiated. Kestrel connections set up with <see cref="SafeWireListenOptionsExtensions.UseSafeWire(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions, SafeWire.Transport.SecureServerOptions)"/>
/// carry it in their features, so every request on them sees it in <c>HttpContext.Features</c>.
/// </summary>
/// <example>
/// <code>
/// app.MapGet("/whoami", (HttpContext http) =&gt; http.Features.Get&lt;ISafeWireConnectionFeature&gt;()?.RemoteIdentity?.Name);
/// </code>
/// </example>
public interface ISafeWireConnectionFeature
{
    /// <summary>The client's verified identity; null when the server did not ask clients for a credential.</summary>
    PeerIdentity? RemoteIdentity { get; }

    /// <summary>The cipher suite the handshake chose.</summary>
    CipherSuite CipherSuite { get; }

    /// <summary>True when the client resumed an earlier session with a ticket.</summary>
    bool IsResumed { get; }

    /// <summary>
    /// Keying material bound to this connection (the exporter), for channel binding: both ends get the same bytes
    /// for the same label and context, and no other connection does.
    /// </summary>
    /// <param name="label">An application-chosen label, such as <c>"EXPORTER-my-app"</c>.</param>
    /// <param name="context">Application context mixed into the output; may be empty.</param>
    /// <param name="destination">Receives 1 to 8160 bytes.</param>
    void ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> destination);
}
