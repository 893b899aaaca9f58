namespace SafeWire.Files.Ftp;

/// <summary>
/// Binds data connections to their control connection through TLS session reuse (what vsftpd calls
/// require_ssl_reuse). The control handshake, read off the wire, tells which session it established: the
/// ServerHello's session id and the session tickets issued with it (TLS 1.2 sends both in the clear). A data
/// connection is accepted only if its handshake resumed one of those: the ClientHello offered that ticket (or that
/// session id) and the server's ServerHello echoed the client's session id. Completing a resumed handshake proves the
/// client holds that session's master secret, which only the control connection's client has; a process that opened
/// its own control connection resumes its own session, not this one, and is refused.
/// Under TLS 1.3 the tickets travel encrypted, so the check there is weaker: the data connection must resume some
/// session of this server (a pre-shared key the server accepted) and come from the control connection's address.
/// </summary>
internal sealed class FtpTlsSessionBinding
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _sessionIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tickets = new(StringComparer.Ordinal);

    /// <summary>Remembers the session a handshake of this control session (its own, or a bound data connection's) established.</summary>
    public void Learn(FtpTlsHandshakeFacts facts)
    {
        lock (_lock)
        {
            if (facts.ServerSessionId.Length > 0)
            {
                _sessionIds.Add(Convert.ToHexString(facts.ServerSessionId));
            }

            foreach (var ticket in facts.IssuedTicketHashes)
            {
                _tickets.Add(Convert.ToHexString(ticket));
            }

            if (facts.Resumed && facts.ClientTicketHash is { } offered)
            {
                _tickets.Add(Convert.ToHexString(offered));
            }
        }
    }

    /// <summary>Whether a completed data-connection handshake resumed this control session's TLS session.</summary>
    public bool IsBound(FtpTlsHandshakeFacts facts)
    {
        if (!facts.Resumed)
        {
            return false;
        }

        if (facts.Tls13)
        {
            return true;
        }

        lock (_lock)
        {
            return facts.ClientTicketHash is { } ticket
                ? _tickets.Contains(Convert.ToHexString(ticket))
                : _sessionIds.Contains(Convert.ToHexString(facts.ClientSessionId));
        }
    }
}
