using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Transport;

namespace SafeWire.Files.Ftp;

/// <summary>Settings of an <see cref="FtpServer"/>.</summary>
public sealed class FtpServerOptions
{
    /// <summary>The directory served; clients cannot leave it.</summary>
    public required string Root { get; init; }

    /// <summary>Address to listen on (control and passive data ports).</summary>
    public IPAddress Host { get; init; } = IPAddress.Loopback;

    /// <summary>Explicit FTPS (AUTH TLS) control port; 0 picks a free port.</summary>
    public int Port { get; init; } = 2121;

    /// <summary>Implicit FTPS port (TLS from the first byte), or null for none; 0 picks a free port.</summary>
    public int? ImplicitPort { get; init; }

    /// <summary>The server certificate with its private key. Required unless <see cref="AllowPlain"/> and no implicit port.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Certificates sent after the leaf (the issuing CA), so clients can build the chain.</summary>
    public IReadOnlyList<X509Certificate2> CertificateChain { get; init; } = [];

    /// <summary>
    /// TLS versions offered. TLS 1.2 only by default: over TLS 1.3 the session tickets sent after the handshake make
    /// curl 7.88 with OpenSSL reset data connections at the end of uploads (docs/FILES.md).
    /// </summary>
    public SslProtocols TlsProtocols { get; init; } = SslProtocols.Tls12;

    /// <summary>
    /// Accept a TLS data connection only if it resumes the control connection's TLS session (vsftpd's
    /// require_ssl_reuse), so a process that connects to a passive port first cannot take or feed another client's
    /// transfer. curl, lftp and FileZilla reuse the session; Python's ftplib needs a few lines (docs/FILES.md).
    /// Turning this off leaves only the address check on passive ports.
    /// </summary>
    public bool RequireTlsSessionReuse { get; init; } = true;

    /// <summary>Serve clients that never send AUTH TLS, and clear (PROT C) data connections.</summary>
    public bool AllowPlain { get; init; }

    /// <summary>Accounts; null serves anonymous, read-only logins (USER anonymous or ftp).</summary>
    public FtpUserStore? Users { get; init; }

    /// <summary>Passive data ports to use (inclusive), or null for any free port.</summary>
    public (int Low, int High)? PassivePorts { get; init; }

    /// <summary>A control connection idle this long is closed with 421.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a passive port waits for its connection, and how long a data transfer may stall.</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>TLS handshake limit, on control and data connections.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest control line accepted, CR LF excluded.</summary>
    public int MaxLineLength { get; init; } = 1024;

    /// <summary>Logged-in control connections at once; a newcomer beyond them is answered 421 (busy) and closed.</summary>
    public int MaxSessions { get; init; } = 64;

    /// <summary>
    /// Admission of control connections before login: at most <see cref="AdmissionOptions.MaxPendingPerAddress"/>
    /// from one address, <see cref="AdmissionOptions.MaxPendingConnections"/> in all (when all are taken, one that has
    /// sent no whole, valid command line, from the address holding the most places, is dropped for a newcomer), and the
    /// login (TLS included) within <see cref="AdmissionOptions.HandshakeTimeout"/>; NOOP and other commands before login
    /// do not extend it. Null: 8 per address, 2,048 in all, 15 s. The connection cap is
    /// always <see cref="MaxSessions"/>, the log always <see cref="Log"/>.
    /// </summary>
    public AdmissionOptions? Admission { get; init; }

    /// <summary>Failed logins on one connection before it is closed.</summary>
    public int MaxFailedLogins { get; init; } = 5;

    /// <summary>Each failed login waits this long times the number of failures so far before answering 530.</summary>
    public TimeSpan FailedLoginDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Failed logins across connections: after the n-th failure in a row, the client address and the account name
    /// each wait this long × 2^(n−1) (up to <see cref="MaxLoginBackoff"/>) before the next login is even checked.
    /// </summary>
    public TimeSpan LoginBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait <see cref="LoginBackoff"/> grows to; failures are forgotten after this much quiet.</summary>
    public TimeSpan MaxLoginBackoff { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Partial uploads (files interrupted before they completed) older than this are deleted.</summary>
    public TimeSpan PartialMaxAge { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The clock for login backoff and partial-file expiry (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Receives one line per notable event (connections, logins, transfers, errors).</summary>
    public Action<string>? Log { get; init; }
}
