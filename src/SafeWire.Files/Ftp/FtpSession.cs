using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SafeWire.Files.Storage;

namespace SafeWire.Files.Ftp;

/// <summary>How data connections are protected (RFC 2228 PROT).</summary>
internal enum DataProtection
{
    Clear,
    Private,
}

/// <summary>
/// One control connection: reads a line, parses it (pure), checks it against the session rules (pure), runs it.
/// Split by concern: this file has the loop, login and security; FtpSession.Files.cs the file-system commands;
/// FtpSession.Data.cs passive ports and transfers.
/// </summary>
internal sealed partial class FtpSession : IDisposable
{
    private readonly FtpServer _server;
    private readonly FtpServerOptions _options;
    private readonly long _id;
    private readonly Socket _control;
    private readonly IPEndPoint _remote;
    private readonly IPEndPoint _local;
    private readonly bool _implicitTls;
    private readonly FtpLineReader _reader;
    private readonly FtpTlsSessionBinding _binding = new();
    private Stream _stream;
    private SslStream? _tls;
    private FtpLoginState _state = FtpLoginState.Connected;
    private string? _pendingUser;
    private FtpUser? _user;
    private int _failedLogins;
    private bool _protectionBufferSizeSet;
    private DataProtection _protection;
    private bool _quit;

    public FtpSession(FtpServer server, long id, Socket control, bool implicitTls)
    {
        _server = server;
        _options = server.Options;
        _id = id;
        _control = control;
        _remote = (IPEndPoint)control.RemoteEndPoint!;
        _local = (IPEndPoint)control.LocalEndPoint!;
        _implicitTls = implicitTls;
        control.NoDelay = true;
        _stream = new NetworkStream(control, ownsSocket: false);
        _reader = new FtpLineReader(_stream, _options.MaxLineLength);
    }

    private bool Secured => _tls is not null;

    private bool ReadOnly => _user?.ReadOnly ?? true;

    public async Task RunAsync(CancellationToken stopping)
    {
        Log($"connected from {_remote}{(_implicitTls ? " (implicit FTPS)" : "")}");
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            if (_implicitTls)
            {
                if (!await StartTlsAsync(stopping).ConfigureAwait(false))
                {
                    return;
                }

                // Implicit FTPS protects data connections from the start (the convention curl and lftp follow).
                _protection = DataProtection.Private;
            }

            await ReplyAsync(new FtpReply(220, "SafeWire FTP server ready." + (_options.AllowPlain || _implicitTls ? "" : " AUTH TLS required.")), stopping).ConfigureAwait(false);
            while (!_quit)
            {
                idle.CancelAfter(_options.IdleTimeout);
                FtpLineStatus status;
                try
                {
                    status = await _reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    Log("idle timeout");
                    await ReplyAsync(new FtpReply(421, "Idle timeout, closing the connection."), stopping).ConfigureAwait(false);
                    break;
                }

                if (status == FtpLineStatus.EndOfStream)
                {
                    break;
                }

                if (status == FtpLineStatus.TooLong)
                {
                    Log("control line too long");
                    await ReplyAsync(new FtpReply(500, $"Command line longer than {_options.MaxLineLength} bytes; closing."), stopping).ConfigureAwait(false);
                    break;
                }

                idle.CancelAfter(Timeout.InfiniteTimeSpan); // a transfer may take longer than the idle limit
                await HandleLineAsync(_reader.Line, stopping).ConfigureAwait(false);
            }

            await CloseControlAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Log("connection ended: " + ErrorText.Of(e));
        }
        finally
        {
            Log("disconnected");
        }
    }

    public void Dispose()
    {
        ClosePassive();
        _stream.Dispose();
    }

    private async Task HandleLineAsync(ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
    {
        var parsed = FtpCommands.Parse(line.Span);
        if (parsed.Request is not { } request)
        {
            await ReplyAsync(parsed.Error!, cancellationToken).ConfigureAwait(false);
            return;
        }

        _server.Progressed(_id); // a whole, valid command: a client talking FTP, not a stalled or garbage-sending socket
        var refusal = FtpSessionRules.Check(request.Command, _state, Secured, _options.AllowPlain, ReadOnly);
        if (refusal is not null)
        {
            await ReplyAsync(refusal, cancellationToken).ConfigureAwait(false);
            return;
        }

        // RFC 959: RNTO must come right after RNFR; anything else drops the pending rename.
        if (request.Command.Verb is not (FtpVerb.Rnfr or FtpVerb.Rnto))
        {
            _renameFrom = null;
        }

        var reply = await ExecuteAsync(request, cancellationToken).ConfigureAwait(false);
        if (reply is not null)
        {
            await ReplyAsync(reply, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one allowed command; returns its final reply (null when the command already replied).</summary>
    private async Task<FtpReply?> ExecuteAsync(FtpRequest request, CancellationToken cancellationToken)
    {
        var argument = request.Argument;
        try
        {
            return request.Command.Verb switch
            {
                FtpVerb.Auth => await AuthAsync(argument, cancellationToken).ConfigureAwait(false),
                FtpVerb.Pbsz => Pbsz(argument),
                FtpVerb.Prot => Prot(argument),
                FtpVerb.User => User(argument),
                FtpVerb.Pass => await PassAsync(argument, cancellationToken).ConfigureAwait(false),
                FtpVerb.Feat => Feat(),
                FtpVerb.Opts => Opts(argument),
                FtpVerb.Syst => new FtpReply(215, "UNIX Type: L8"),
                FtpVerb.Noop => new FtpReply(200, "NOOP ok."),
                FtpVerb.Help => Help(),
                FtpVerb.Stat => Stat(argument),
                FtpVerb.Quit => Quit(),
                FtpVerb.Type => TransferType(argument),
                FtpVerb.Mode => argument.Equals("S", StringComparison.OrdinalIgnoreCase) ? new FtpReply(200, "Mode S.") : new FtpReply(504, "Only stream mode (S) is supported."),
                FtpVerb.Stru => argument.Equals("F", StringComparison.OrdinalIgnoreCase) ? new FtpReply(200, "Structure F.") : new FtpReply(504, "Only file structure (F) is supported."),
                FtpVerb.Allo => new FtpReply(202, "No storage allocation necessary."),
                FtpVerb.Pasv => Pasv(),
                FtpVerb.Epsv => Epsv(argument),
                FtpVerb.Rest => Rest(argument),
                FtpVerb.Abor => Abor(),
                FtpVerb.Pwd => new FtpReply(257, FtpReply.QuotePath(_currentDirectory) + " is the current directory."),
                FtpVerb.Cwd => ChangeDirectory(argument),
                FtpVerb.Cdup => _currentDirectory == "/" ? new FtpReply(550, "Already at the root.") : ChangeDirectory(".."),
                FtpVerb.Mkd => MakeDirectory(argument),
                FtpVerb.Rmd => RemoveDirectory(argument),
                FtpVerb.Dele => Delete(argument),
                FtpVerb.Rnfr => RenameFrom(argument),
                FtpVerb.Rnto => RenameTo(argument),
                FtpVerb.Size => Size(argument),
                FtpVerb.Mdtm => ModificationTime(argument),
                FtpVerb.Mlst => MachineListSingle(argument),
                FtpVerb.List or FtpVerb.Nlst or FtpVerb.Mlsd => await ListAsync(request.Command.Verb, argument, cancellationToken).ConfigureAwait(false),
                FtpVerb.Retr => await RetrieveAsync(argument, cancellationToken).ConfigureAwait(false),
                FtpVerb.Stor or FtpVerb.Appe => await StoreAsync(argument, append: request.Command.Verb == FtpVerb.Appe, cancellationToken).ConfigureAwait(false),
                _ => new FtpReply(502, $"{request.Command.Name} is not implemented."),
            };
        }
        catch (PathRejectedException e)
        {
            Log($"refused path in {request.Command.Name}: {e.Reason}");
            return new FtpReply(553, "Path refused: " + e.Message);
        }
        catch (UnauthorizedAccessException)
        {
            return new FtpReply(550, "Permission denied.");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new FtpReply(550, "No such file or directory.");
        }
    }

    // ---- Security (RFC 2228, RFC 4217) ----

    private async Task<FtpReply?> AuthAsync(string mechanism, CancellationToken cancellationToken)
    {
        if (Secured)
        {
            return new FtpReply(503, "TLS is already active.");
        }

        if (_server.TlsOptions is null)
        {
            return new FtpReply(431, "TLS is not configured on this server.");
        }

        if (_state != FtpLoginState.Connected)
        {
            return new FtpReply(503, "AUTH must come before USER.");
        }

        var upper = mechanism.Trim().ToUpperInvariant();
        if (upper is not ("TLS" or "TLS-C" or "SSL" or "TLS-P"))
        {
            return new FtpReply(504, $"AUTH {mechanism} is not supported; use AUTH TLS.");
        }

        // curl asks AUTH SSL first: the old FTPS draft's name for the same TLS handshake; that draft (and TLS-P)
        // also protect data connections without PROT P, as vsftpd and ProFTPD do.
        await ReplyAsync(new FtpReply(234, $"AUTH {upper} ok, start the TLS handshake."), cancellationToken).ConfigureAwait(false);
        if (_reader.HasBufferedData)
        {
            // Commands pipelined after AUTH were sent in the clear; running them as if protected is CVE-2011-0411.
            Log("plaintext bytes after AUTH: closing");
            _quit = true;
            return null;
        }

        if (!await StartTlsAsync(cancellationToken).ConfigureAwait(false))
        {
            _quit = true;
            return null;
        }

        if (upper is "SSL" or "TLS-P")
        {
            _protection = DataProtection.Private;
        }

        return null;
    }

    private async Task<bool> StartTlsAsync(CancellationToken cancellationToken)
    {
        var wire = new FtpTlsWire(_stream);
        var tls = new SslStream(wire, leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.HandshakeTimeout);
        try
        {
            await tls.AuthenticateAsServerAsync(_server.TlsOptions!, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or Win32Exception)
        {
            Log("TLS handshake failed: " + ErrorText.Of(e));
            await tls.DisposeAsync().ConfigureAwait(false);
            return false;
        }

        _server.Progressed(_id); // a finished TLS handshake (implicit FTPS has no command before it)
        _binding.Learn(wire.Facts);
        _tls = tls;
        _stream = tls;
        _reader.Stream = tls;
        Log($"TLS {tls.SslProtocol} {tls.NegotiatedCipherSuite}");
        return true;
    }

    private FtpReply Pbsz(string argument)
    {
        if (!Secured)
        {
            return new FtpReply(503, "PBSZ needs AUTH TLS first.");
        }

        if (!long.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return new FtpReply(501, "PBSZ needs a number.");
        }

        // RFC 4217 §8: TLS is a streaming protection; the buffer size is always 0.
        _protectionBufferSizeSet = true;
        return new FtpReply(200, "PBSZ=0");
    }

    private FtpReply Prot(string argument)
    {
        if (!_protectionBufferSizeSet)
        {
            return new FtpReply(503, "PROT needs PBSZ first.");
        }

        switch (argument.Trim().ToUpperInvariant())
        {
            case "P":
                _protection = DataProtection.Private;
                return new FtpReply(200, "Data connections are protected with TLS.");
            case "C" when _options.AllowPlain:
                _protection = DataProtection.Clear;
                return new FtpReply(200, "Data connections are in the clear.");
            case "C":
                return new FtpReply(534, "Clear data connections are refused; use PROT P.");
            case "S" or "E":
                return new FtpReply(536, "Only PROT P (and C where allowed) are supported.");
            default:
                return new FtpReply(504, "Unknown protection level.");
        }
    }

    // ---- Login ----

    private FtpReply User(string name)
    {
        _pendingUser = name;
        _state = FtpSessionRules.Next(_state, FtpLoginEvent.UserNamed);
        return _options.Users is null
            ? new FtpReply(331, "Anonymous access: send any password.")
            : new FtpReply(331, "Password required for " + name + ".");
    }

    private async Task<FtpReply?> PassAsync(string password, CancellationToken cancellationToken)
    {
        var name = _pendingUser!;
        _pendingUser = null;
        var throttle = _server.LoginThrottle;
        var wait = throttle.WaitBeforeLogin(_remote.Address, name);
        FtpUser? user = null;
        if (wait > TimeSpan.Zero)
        {
            // Not even checked (no PBKDF2 run): this address or this name failed too often lately.
            _state = FtpSessionRules.Next(_state, FtpLoginEvent.PasswordRejected);
            _failedLogins++;
            Log($"login for {name} refused: too many failed logins lately ({Seconds(wait)} s to wait)");
            return _failedLogins >= _options.MaxFailedLogins
                ? CloseAfterFailures()
                : new FtpReply(530, $"Too many failed logins from this address or for this user; wait {Seconds(wait)} s and try again.");
        }

        if (_options.Users is null)
        {
            user = name.Equals("anonymous", StringComparison.OrdinalIgnoreCase) || name.Equals("ftp", StringComparison.OrdinalIgnoreCase)
                ? new FtpUser("anonymous", ReadOnly: true)
                : null;
        }
        else
        {
            // An unknown name costs the same PBKDF2 run (against a dummy hash) as a wrong password.
            try
            {
                user = _options.Users.Authenticate(name, password);
            }
            catch (FtpUserFileException e)
            {
                // The file was edited into something unreadable: nobody logs in until it is fixed (fail closed).
                _state = FtpSessionRules.Next(_state, FtpLoginEvent.PasswordRejected);
                Log($"login for {name} refused: {e.Message}");
                return new FtpReply(530, "Login refused: the server's users file cannot be read; ask its admin to fix it.");
            }
        }

        if (user is not null)
        {
            throttle.Succeeded(_remote.Address, name);
            if (!_server.LoggedIn(_id))
            {
                _quit = true;
                return new FtpReply(421, "Server busy: too many sessions are logged in; try again later.");
            }

            _state = FtpSessionRules.Next(_state, FtpLoginEvent.PasswordAccepted);
            _user = user;
            Log($"logged in as {user.Name}{(user.ReadOnly ? " (read-only)" : "")}");
            return new FtpReply(230, $"Logged in{(user.ReadOnly ? " (read-only)" : "")}.");
        }

        var backoff = throttle.Failed(_remote.Address, name);
        _state = FtpSessionRules.Next(_state, FtpLoginEvent.PasswordRejected);
        _failedLogins++;
        Log($"failed login for {name} ({_failedLogins}); next try from {_remote.Address} or for {name} in {Seconds(backoff)} s");
        // Slow down guessing on this connection too: each failure waits longer; after the limit it is closed.
        await Task.Delay(_options.FailedLoginDelay * _failedLogins, cancellationToken).ConfigureAwait(false);
        return _failedLogins >= _options.MaxFailedLogins ? CloseAfterFailures() : new FtpReply(530, "Login incorrect.");
    }

    private FtpReply CloseAfterFailures()
    {
        _quit = true;
        return new FtpReply(421, "Too many failed logins; closing the connection.");
    }

    private static string Seconds(TimeSpan wait) => Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    // ---- Session commands ----

    private FtpReply Feat()
    {
        var lines = new List<string>();
        if (_server.TlsOptions is not null)
        {
            lines.AddRange(["AUTH TLS", "PBSZ", "PROT"]);
        }

        lines.AddRange(["UTF8", "EPSV", "PASV", "SIZE", "MDTM", "REST STREAM", "TVFS", "MLST " + FtpListing.DescribeFacts(_facts, marked: true)]);
        return new FtpReply(211, "Features:", lines);
    }

    private FtpReply Opts(string argument)
    {
        var space = argument.IndexOf(' ', StringComparison.Ordinal);
        var option = (space < 0 ? argument : argument[..space]).ToUpperInvariant();
        var value = space < 0 ? "" : argument[(space + 1)..].Trim();
        switch (option)
        {
            case "UTF8" or "UTF-8":
                // Names are always UTF-8 here (RFC 2640); OFF is accepted but changes nothing.
                return new FtpReply(200, "UTF8 mode is always on.");
            case "MLST":
                _facts = FtpListing.ParseFacts(value);
                return new FtpReply(200, "MLST OPTS " + FtpListing.DescribeFacts(_facts, marked: false));
            default:
                return new FtpReply(501, $"Unknown option {option}.");
        }
    }

    private static FtpReply Help()
    {
        var names = FtpCommands.All.Where(c => c.Access != FtpAccess.NotImplemented).Select(c => c.Name);
        return new FtpReply(214, "Commands recognized:", [string.Join(' ', names)], "Help ok.");
    }

    private FtpReply Stat(string argument)
    {
        if (argument.Length > 0)
        {
            return new FtpReply(504, "STAT with a path is not supported; use LIST or MLST.");
        }

        return new FtpReply(211, "SafeWire FTP server status:",
        [
            $"Connected from {_remote.Address}",
            $"Logged in as {_user?.Name}",
            $"TLS: {(_tls is null ? "off" : _tls.SslProtocol.ToString())}; data protection: {_protection}",
        ], "End of status.");
    }

    private FtpReply Quit()
    {
        _quit = true;
        return new FtpReply(221, "Goodbye.");
    }

    private static FtpReply TransferType(string argument)
    {
        // Files are sent byte for byte in both types (as vsftpd does by default); TYPE A is accepted for clients that ask.
        var upper = argument.Trim().ToUpperInvariant();
        return upper switch
        {
            "I" or "L 8" => new FtpReply(200, "Type set to I."),
            "A" or "A N" => new FtpReply(200, "Type set to A."),
            _ => new FtpReply(504, $"Type {argument} is not supported."),
        };
    }

    // ---- Control channel I/O ----

    private async Task ReplyAsync(FtpReply reply, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.DataTimeout);
        await _stream.WriteAsync(reply.Encode(), timeout.Token).ConfigureAwait(false);
        await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
    }

    private async Task CloseControlAsync()
    {
        if (_tls is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _tls.ShutdownAsync().WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The client may already be gone.
            }
        }

        try
        {
            _control.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
    }

    private void Log(string message) => _server.Log(_id, message);
}
