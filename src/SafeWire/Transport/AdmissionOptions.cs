namespace SafeWire.Transport;

/// <summary>
/// Who gets in, and for how long a connection may stay unauthenticated: one policy for every SafeWire server and
/// the FTP server's control connections (see <see cref="ConnectionAdmission"/>).
/// </summary>
public sealed class AdmissionOptions
{
    /// <summary>Authenticated (or logged-in) connections at once; a newcomer beyond them is refused as busy.</summary>
    public int MaxConnections { get; set; } = 1024;

    /// <summary>
    /// Connections still in their handshake (or login) at once, over all addresses. A waiting connection costs a socket
    /// and a few kilobytes, so the default (2,048) holds 256 addresses at <see cref="MaxPendingPerAddress"/> without
    /// dropping anyone. When they are all taken, one that has shown no progress, from the address holding the most
    /// places, is dropped to make room for the newcomer (else the longest-waiting one), so stalled peers cannot lock new
    /// ones out.
    /// </summary>
    public int MaxPendingConnections { get; set; } = 2048;

    /// <summary>Connections still in their handshake (or login) from one IP address; more from it are refused as busy.</summary>
    public int MaxPendingPerAddress { get; set; } = 8;

    /// <summary>The peer must send its first bytes within this time after the connection is accepted.</summary>
    public TimeSpan FirstBytesTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The whole handshake (or FTP login) must finish within this time after the connection is accepted.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>At most one summary line per interval about refused, dropped and failed connections.</summary>
    public TimeSpan LogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where the summary lines go (null: nowhere).</summary>
    public Action<string>? Log { get; set; }

    /// <summary>The clock for deadlines and the log interval.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>A copy (servers adjust their own copy, never the caller's).</summary>
    public AdmissionOptions Clone() => (AdmissionOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConnections, nameof(MaxConnections));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPendingConnections, nameof(MaxPendingConnections));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPendingPerAddress, nameof(MaxPendingPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FirstBytesTimeout, TimeSpan.Zero, nameof(FirstBytesTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LogInterval, TimeSpan.Zero, nameof(LogInterval));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
