using System.CommandLine;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>The identity and trust verbs: <c>id</c>, <c>invite</c>, <c>join</c>, <c>known-hosts</c>.</summary>
internal static class TrustCommandDefinitions
{
    public static readonly Option<string?> As = new("--as") { Description = "Use the identity NAME of this home instead of the default one (keys/NAME.key)" };

    public static readonly Argument<string> InviteName = new("NAME") { Description = "Name the certificate will carry (and the allow-list name of a joining client)" };
    public static readonly Option<bool> Client = new("--client") { Description = "Invite a client machine (the default)" };
    public static readonly Option<bool> Server = new("--server") { Description = "Invite a server machine: its certificate names --dns and --ip" };
    public static readonly Option<string[]> Dns = new("--dns") { Description = "DNS name for a server certificate (repeatable)", AllowMultipleArgumentsPerToken = false };
    public static readonly Option<string[]> Ip = new("--ip") { Description = "IP address for a server certificate (repeatable)", AllowMultipleArgumentsPerToken = false };
    public static readonly Option<string> Expires = new("--expires") { Description = "How long the code works: e.g. 30m, 1h, 2d (default 1h)", DefaultValueFactory = _ => "1h" };
    public static readonly Option<string?> ServerAddress = new("--server-address") { Description = "HOST:PORT the other machine dials (default: this machine's first network address and the chat port)" };

    public static readonly Argument<string> KnownHost = new("HOST[:PORT]") { Description = "The server to forget: HOST (every port, and a joined CA for it) or HOST:PORT" };

    private const string ServeCaKey = "the home CA's key (to issue this server's certificate and certificates for machines that join)";

    /// <summary>The CA key's password for <c>files serve</c>.</summary>
    public static readonly PasswordOptions FilesServeCaPassword = new(ServeCaKey, "--ca-password-file", "--ask-ca-password");

    /// <summary>The CA key's password for the chat server (<c>serve</c>).</summary>
    public static readonly PasswordOptions ChatServeCaPassword = new(ServeCaKey, "--ca-password-file", "--ask-ca-password");

    /// <summary>The CA key's password for <c>ftp serve</c> (only to issue its certificate; FTP takes no joins).</summary>
    public static readonly PasswordOptions FtpServeCaPassword = new("the home CA's key (only to issue this server's certificate)", "--ca-password-file", "--ask-ca-password");

    public static readonly Argument<string> Code = new("CODE") { Description = "The code printed by safewire invite on the server machine" };

    public static Command CreateId()
    {
        var command = new Command("id", "Show this home's identity: key fingerprint, names and the certificates it holds") { As };
        command.SetAction(parse => IdCommand.Run(parse));
        return command;
    }

    public static Command CreateInvite()
    {
        var command = new Command("invite", "Make a one-time join code for another machine (prints the code as the last line)")
        {
            InviteName, Client, Server, Dns, Ip, Expires, ServerAddress,
        };
        command.SetAction(parse => InviteCommand.Run(parse));
        return command;
    }

    public static Command CreateKnownHosts()
    {
        var list = new Command("list", "List the servers this home trusts: keys seen first (known_hosts) and CAs joined");
        list.SetAction(parse => KnownHostsCommand.List(parse));
        var forget = new Command("forget", "Forget a server after a legitimate key change, so the next connection trusts its new key") { KnownHost };
        forget.SetAction(parse => KnownHostsCommand.Forget(parse));
        return new Command("known-hosts", "The servers this home trusts: list them, forget one") { list, forget };
    }

    public static Command CreateJoin()
    {
        var command = new Command("join", "Join a SafeWire server with a code from safewire invite: get a certificate and trust its CA") { Code, As };
        command.SetAction((parse, cancellationToken) => JoinCommand.RunAsync(parse, cancellationToken));
        return command;
    }
}
