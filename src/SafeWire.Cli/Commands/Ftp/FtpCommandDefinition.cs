using System.CommandLine;

namespace SafeWire.Cli.Commands.Ftp;

/// <summary><c>safewire ftp serve</c> and <c>safewire ftp user add</c>.</summary>
internal static class FtpCommandDefinition
{
    public static readonly Option<DirectoryInfo> Root = new("--root")
    {
        Description = "Directory to serve (clients cannot leave it)",
        Required = true,
    };

    public static readonly Option<string> Host = new("--host")
    {
        Description = "Address to listen on",
        DefaultValueFactory = _ => "127.0.0.1",
    };

    public static readonly Option<int> Port = new("--port")
    {
        Description = "Control port for explicit FTPS (AUTH TLS); 0 picks a free port",
        DefaultValueFactory = _ => 2121,
    };

    public static readonly Option<int?> ImplicitPort = new("--implicit-port")
    {
        Description = "Also serve implicit FTPS (TLS from the first byte, ftps://) on this port",
    };

    public static readonly Option<FileInfo?> Users = new("--users")
    {
        Description = "Users file (safewire ftp user add); without it, anonymous read-only logins",
    };

    public static readonly Option<string?> PassivePorts = new("--pasv-ports")
    {
        Description = "Passive data port range LOW-HIGH (default: any free port)",
    };

    public static readonly Option<bool> AllowPlain = new("--allow-plain")
    {
        Description = "Also serve clients that do not use TLS (refused by default)",
    };

    public static readonly Option<bool> Tls12 = new("--tls12")
    {
        Description = "TLS 1.2 only (the default; see docs/FILES.md for why)",
    };

    public static readonly Option<bool> Tls13 = new("--tls13")
    {
        Description = "Offer TLS 1.3 as well as 1.2 (curl 7.88 uploads can fail over TLS 1.3)",
    };

    public static readonly Option<bool> NoRequireTlsReuse = new("--no-require-tls-reuse")
    {
        Description = "Accept TLS data connections that do not resume the control connection's TLS session (clients such as stock Python ftplib); any process on the client's address could then take a transfer",
    };

    public static readonly Option<double> PartialMaxAge = new("--partial-max-age")
    {
        Description = "Hours after which an interrupted upload's partial file is deleted",
        DefaultValueFactory = _ => 24,
    };

    public static readonly Option<FileInfo?> Certificate = new("--cert")
    {
        Description = "Server certificate, PEM, its CA after it (default: certs/ftp.crt issued by the home CA, created on first use)",
    };

    public static readonly Option<FileInfo?> Key = new("--key")
    {
        Description = "Private key of --cert, PEM",
    };

    public static readonly Argument<string> UserName = new("NAME")
    {
        Description = "User name (letters, digits, '.', '_', '-')",
    };

    public static readonly Option<FileInfo> UsersFile = new("--users")
    {
        Description = "Users file to add the user to (created if absent)",
        Required = true,
    };

    public static readonly Option<bool> ReadOnly = new("--read-only")
    {
        Description = "The user may list and download, not change anything",
    };

    public static readonly Option<bool> PasswordStdin = new("--password-stdin")
    {
        Description = "Read the password from the first line of standard input instead of prompting",
    };

    public static Command Create()
    {
        var serve = new Command("serve", "Run an FTP server with explicit and implicit FTPS")
        {
            Root, Host, Port, ImplicitPort, Users, PassivePorts, AllowPlain, Tls12, Tls13, NoRequireTlsReuse, PartialMaxAge, Certificate, Key, Trust.ServerNames.DnsOption,
        };
        Trust.TrustCommandDefinitions.FtpServeCaPassword.AddTo(serve);
        serve.SetAction((parseResult, cancellationToken) => FtpServeCommand.RunAsync(parseResult, CliConsole.Out, cancellationToken));

        var add = new Command("add", "Add a user to a users file, or change its password (stored as a PBKDF2 hash)")
        {
            UserName, UsersFile, ReadOnly, PasswordStdin,
        };
        add.SetAction(parseResult => FtpUserAddCommand.Run(parseResult, CliConsole.In, CliConsole.Out));

        var user = new Command("user", "Manage FTP users") { add };
        return new Command("ftp", "FTP server with FTPS (curl, lftp, FileZilla, Python ftplib)") { serve, user };
    }
}
