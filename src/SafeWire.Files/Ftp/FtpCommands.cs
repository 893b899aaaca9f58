using System.Text;

namespace SafeWire.Files.Ftp;

/// <summary>The FTP commands this server knows (RFC 959, 2228, 2389, 2428, 3659, 4217).</summary>
internal enum FtpVerb
{
    User, Pass, Acct, Auth, Pbsz, Prot, Ccc, Feat, Opts, Syst, Noop, Quit, Help, Stat, Rein,
    Pwd, Cwd, Cdup, Type, Mode, Stru, Allo,
    Pasv, Epsv, Port, Eprt,
    List, Nlst, Mlsd, Mlst, Retr, Stor, Stou, Appe, Rest, Abor,
    Size, Mdtm, Dele, Mkd, Rmd, Rnfr, Rnto, Smnt,
}

/// <summary>Whether a command takes an argument.</summary>
internal enum FtpArgument
{
    None,
    Optional,
    Required,
}

/// <summary>Who may send a command.</summary>
internal enum FtpAccess
{
    /// <summary>Any time, even before AUTH TLS on a server that refuses plain FTP (FEAT, AUTH, QUIT, …).</summary>
    Always,
    /// <summary>Part of logging in: allowed before login, but only over TLS unless plain FTP is allowed.</summary>
    Login,
    /// <summary>Needs a logged-in user.</summary>
    LoggedIn,
    /// <summary>Recognized but not implemented here: answered 502.</summary>
    NotImplemented,
}

/// <summary>One row of the command table.</summary>
internal sealed record FtpCommandSpec(string Name, FtpVerb Verb, FtpArgument Argument, FtpAccess Access, bool WritesFiles = false);

/// <summary>A parsed control-channel line: the command's table row and its argument ("" when none).</summary>
internal readonly record struct FtpRequest(FtpCommandSpec Command, string Argument);

/// <summary>A line that parsed (<see cref="Request"/>) or the reply that refuses it (<see cref="Error"/>).</summary>
internal readonly record struct FtpParseResult(FtpRequest? Request, FtpReply? Error);

/// <summary>
/// The control-channel command table and a pure parser: bytes of one line in, a request or a refusal out.
/// No I/O, no state; <see cref="FtpSessionRules"/> decides whether the request fits the session's state.
/// </summary>
internal static class FtpCommands
{
    private static readonly FtpCommandSpec[] s_table =
    [
        // Login and security (RFC 959 §4.1.1, RFC 2228, RFC 4217).
        new("USER", FtpVerb.User, FtpArgument.Required, FtpAccess.Login),
        new("PASS", FtpVerb.Pass, FtpArgument.Optional, FtpAccess.Login),
        new("ACCT", FtpVerb.Acct, FtpArgument.Required, FtpAccess.NotImplemented),
        new("AUTH", FtpVerb.Auth, FtpArgument.Required, FtpAccess.Always),
        new("PBSZ", FtpVerb.Pbsz, FtpArgument.Required, FtpAccess.Always),
        new("PROT", FtpVerb.Prot, FtpArgument.Required, FtpAccess.Always),
        new("CCC", FtpVerb.Ccc, FtpArgument.None, FtpAccess.NotImplemented),
        new("REIN", FtpVerb.Rein, FtpArgument.None, FtpAccess.NotImplemented),
        new("SMNT", FtpVerb.Smnt, FtpArgument.Required, FtpAccess.NotImplemented),

        // Session (RFC 959 §4.1.3, RFC 2389).
        new("FEAT", FtpVerb.Feat, FtpArgument.None, FtpAccess.Always),
        new("OPTS", FtpVerb.Opts, FtpArgument.Required, FtpAccess.Always),
        new("SYST", FtpVerb.Syst, FtpArgument.None, FtpAccess.Always),
        new("NOOP", FtpVerb.Noop, FtpArgument.None, FtpAccess.Always),
        new("QUIT", FtpVerb.Quit, FtpArgument.None, FtpAccess.Always),
        new("HELP", FtpVerb.Help, FtpArgument.Optional, FtpAccess.Always),
        new("STAT", FtpVerb.Stat, FtpArgument.Optional, FtpAccess.LoggedIn),

        // Transfer parameters (RFC 959 §4.1.2, RFC 2428).
        new("TYPE", FtpVerb.Type, FtpArgument.Required, FtpAccess.LoggedIn),
        new("MODE", FtpVerb.Mode, FtpArgument.Required, FtpAccess.LoggedIn),
        new("STRU", FtpVerb.Stru, FtpArgument.Required, FtpAccess.LoggedIn),
        new("ALLO", FtpVerb.Allo, FtpArgument.Required, FtpAccess.LoggedIn),
        new("PASV", FtpVerb.Pasv, FtpArgument.None, FtpAccess.LoggedIn),
        new("EPSV", FtpVerb.Epsv, FtpArgument.Optional, FtpAccess.LoggedIn),
        new("PORT", FtpVerb.Port, FtpArgument.Required, FtpAccess.NotImplemented),
        new("EPRT", FtpVerb.Eprt, FtpArgument.Required, FtpAccess.NotImplemented),

        // Directories.
        new("PWD", FtpVerb.Pwd, FtpArgument.None, FtpAccess.LoggedIn),
        new("XPWD", FtpVerb.Pwd, FtpArgument.None, FtpAccess.LoggedIn),
        new("CWD", FtpVerb.Cwd, FtpArgument.Required, FtpAccess.LoggedIn),
        new("XCWD", FtpVerb.Cwd, FtpArgument.Required, FtpAccess.LoggedIn),
        new("CDUP", FtpVerb.Cdup, FtpArgument.None, FtpAccess.LoggedIn),
        new("XCUP", FtpVerb.Cdup, FtpArgument.None, FtpAccess.LoggedIn),
        new("MKD", FtpVerb.Mkd, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),
        new("XMKD", FtpVerb.Mkd, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),
        new("RMD", FtpVerb.Rmd, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),
        new("XRMD", FtpVerb.Rmd, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),

        // Listings and files (RFC 959 §4.1.3, RFC 3659).
        new("LIST", FtpVerb.List, FtpArgument.Optional, FtpAccess.LoggedIn),
        new("NLST", FtpVerb.Nlst, FtpArgument.Optional, FtpAccess.LoggedIn),
        new("MLSD", FtpVerb.Mlsd, FtpArgument.Optional, FtpAccess.LoggedIn),
        new("MLST", FtpVerb.Mlst, FtpArgument.Optional, FtpAccess.LoggedIn),
        new("RETR", FtpVerb.Retr, FtpArgument.Required, FtpAccess.LoggedIn),
        new("STOR", FtpVerb.Stor, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),
        new("STOU", FtpVerb.Stou, FtpArgument.Optional, FtpAccess.NotImplemented),
        new("APPE", FtpVerb.Appe, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),
        new("REST", FtpVerb.Rest, FtpArgument.Required, FtpAccess.LoggedIn),
        new("ABOR", FtpVerb.Abor, FtpArgument.None, FtpAccess.LoggedIn),
        new("SIZE", FtpVerb.Size, FtpArgument.Required, FtpAccess.LoggedIn),
        new("MDTM", FtpVerb.Mdtm, FtpArgument.Required, FtpAccess.LoggedIn),
        new("DELE", FtpVerb.Dele, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),
        new("RNFR", FtpVerb.Rnfr, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),
        new("RNTO", FtpVerb.Rnto, FtpArgument.Required, FtpAccess.LoggedIn, WritesFiles: true),
    ];

    private static readonly Dictionary<string, FtpCommandSpec> s_byName = s_table.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Every row of the table (FEAT and HELP print from it).</summary>
    public static IReadOnlyList<FtpCommandSpec> All => s_table;

    /// <summary>
    /// Parses one control line without its CR LF. Telnet IAC sequences (RFC 959 §4.1.3 ABOR's "IP"/"Synch") are
    /// dropped; the line must be UTF-8 (RFC 2640); the verb is matched case-insensitively; the argument is
    /// everything after the first space, kept verbatim (file names may start or end with spaces).
    /// </summary>
    public static FtpParseResult Parse(ReadOnlySpan<byte> line)
    {
        Span<byte> clean = line.Length <= 1024 ? stackalloc byte[line.Length] : new byte[line.Length];
        var length = StripTelnet(line, clean);
        string text;
        try
        {
            text = s_strictUtf8.GetString(clean[..length]);
        }
        catch (DecoderFallbackException)
        {
            return Refuse(501, "The command is not valid UTF-8.");
        }

        if (text.Length == 0)
        {
            return Refuse(500, "Empty command.");
        }

        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var name = space < 0 ? text : text[..space];
        var argument = space < 0 ? "" : text[(space + 1)..];
        if (!s_byName.TryGetValue(name, out var spec))
        {
            return Refuse(500, $"Unknown command \"{Printable(name)}\".");
        }

        return spec.Argument switch
        {
            FtpArgument.Required when argument.Length == 0 => Refuse(501, $"{spec.Name} needs an argument."),
            FtpArgument.None when argument.Trim().Length > 0 => Refuse(501, $"{spec.Name} takes no argument."),
            _ => new FtpParseResult(new FtpRequest(spec, spec.Argument == FtpArgument.None ? "" : argument), null),
        };
    }

    private static FtpParseResult Refuse(int code, string text) => new(null, new FtpReply(code, text));

    /// <summary>Removes IAC (255) command sequences; IAC IAC stands for a literal 255, which UTF-8 never uses anyway.</summary>
    private static int StripTelnet(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < source.Length; i++)
        {
            if (source[i] == 0xFF)
            {
                i++; // skip the IAC and the command byte after it
                continue;
            }

            destination[written++] = source[i];
        }

        return written;
    }

    private static string Printable(string name)
    {
        var limited = name.Length > 16 ? name[..16] + "…" : name;
        return new string(limited.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
