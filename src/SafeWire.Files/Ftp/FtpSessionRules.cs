namespace SafeWire.Files.Ftp;

/// <summary>Where a control session is in logging in.</summary>
internal enum FtpLoginState
{
    /// <summary>Connected; no user named yet.</summary>
    Connected,
    /// <summary>USER accepted; PASS expected.</summary>
    UserGiven,
    /// <summary>Logged in.</summary>
    LoggedIn,
}

/// <summary>What happened in a login exchange.</summary>
internal enum FtpLoginEvent
{
    UserNamed,
    PasswordAccepted,
    PasswordRejected,
}

/// <summary>
/// The session's rules as tables, free of I/O: which commands fit which state, and how login events move the
/// state. The whole login machine, drawn:
/// <code>
///   Connected --USER--> UserGiven --PASS ok--> LoggedIn
///       ^                 |  ^ USER
///       +---PASS bad------+--+
/// </code>
/// Security (RFC 4217) is orthogonal: before AUTH TLS only <see cref="FtpAccess.Always"/> commands are served
/// unless plain FTP is allowed.
/// </summary>
internal static class FtpSessionRules
{
    private static readonly Dictionary<(FtpLoginState From, FtpLoginEvent Event), FtpLoginState> s_transitions = new()
    {
        [(FtpLoginState.Connected, FtpLoginEvent.UserNamed)] = FtpLoginState.UserGiven,
        [(FtpLoginState.UserGiven, FtpLoginEvent.UserNamed)] = FtpLoginState.UserGiven,
        [(FtpLoginState.UserGiven, FtpLoginEvent.PasswordAccepted)] = FtpLoginState.LoggedIn,
        [(FtpLoginState.UserGiven, FtpLoginEvent.PasswordRejected)] = FtpLoginState.Connected,
    };

    /// <summary>The next login state; throws InvalidOperationException for an event the table does not allow.</summary>
    public static FtpLoginState Next(FtpLoginState from, FtpLoginEvent loginEvent) =>
        s_transitions.TryGetValue((from, loginEvent), out var to)
            ? to
            : throw new InvalidOperationException($"Login event {loginEvent} is not allowed in state {from}.");

    /// <summary>
    /// The refusal for <paramref name="command"/> in this session, or null if it may run. Write permission is
    /// checked here too, so a read-only user's STOR never reaches the file system.
    /// </summary>
    public static FtpReply? Check(FtpCommandSpec command, FtpLoginState state, bool secured, bool plainAllowed, bool readOnly)
    {
        switch (command.Access)
        {
            case FtpAccess.NotImplemented:
                return new FtpReply(502, $"{command.Name} is not implemented.");
            case FtpAccess.Always:
                return null;
        }

        if (!secured && !plainAllowed)
        {
            return new FtpReply(530, "This server refuses plain FTP: send AUTH TLS first (RFC 4217), or use implicit FTPS.");
        }

        if (command.Access == FtpAccess.Login)
        {
            if (state == FtpLoginState.LoggedIn)
            {
                return new FtpReply(503, "Already logged in.");
            }

            if (command.Verb == FtpVerb.Pass && state != FtpLoginState.UserGiven)
            {
                return new FtpReply(503, "Send USER first.");
            }

            return null;
        }

        if (state != FtpLoginState.LoggedIn)
        {
            return new FtpReply(530, "Please log in with USER and PASS.");
        }

        return command.WritesFiles && readOnly ? new FtpReply(550, "Permission denied: this account is read-only.") : null;
    }
}
