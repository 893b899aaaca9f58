using System.CommandLine;

namespace SafeWire.Cli.Commands.Peer;

internal static class PeerCommandDefinition
{
    public static readonly Argument<string> KeyManager = new("HOST:PORT") { Description = "The key manager (safewire km serve)" };

    public static readonly Option<string?> Name = new("--name") { Description = "Your name: the client certificate issued by the home CA (default: your user name)", HelpName = "NAME" };

    public static readonly Option<string?> As = new("--as") { Description = "Use the identity NAME of this home (keys/NAME.key) instead of the default one", HelpName = "NAME" };

    public static readonly Option<DirectoryInfo> Out = new("--out") { Description = "Directory to save received files in", Required = true, HelpName = "DIR" };

    public static readonly Option<bool> AcceptAll = new("--accept-all") { Description = "Accept every offered file without asking" };

    public static readonly Option<int> ListenPort = new("--listen-port") { Description = "Port to open for the sender when you wait (default: any free port)", HelpName = "PORT" };

    public static readonly Option<string?> Advertise = new("--advertise") { Description = "HOST:PORT the key manager tells senders to dial (NAT, port forward)", HelpName = "HOST:PORT" };

    public static readonly Option<string> To = new("--to") { Description = "The waiting peer: its id or name", Required = true, HelpName = "PEER" };

    public static readonly Option<string> Mode = new("--mode") { Description = "cbc or cfb (keys from the key manager) or e2e (peers' own SafeWire session; default)", DefaultValueFactory = _ => "e2e", HelpName = "cbc|cfb|e2e" };

    public static readonly Argument<FileInfo[]> Files = new("FILE") { Description = "Files to send", Arity = ArgumentArity.OneOrMore };

    public static readonly PasswordOptions CaPassword = new("the home CA's key (only to issue your certificate the first time)", "--ca-password-file", "--ask-ca-password");

    public static Command Create()
    {
        var peer = new Command("peer", "Peer of the key manager: send or receive files peer to peer (interactive: send, wait, conn <id> <cbc|cfb|e2e>, end)");
        peer.Arguments.Add(KeyManager);
        peer.Options.Add(Name);
        peer.Options.Add(As);
        peer.Options.Add(ListenPort);
        peer.Options.Add(Advertise);
        peer.Options.Add(SuiteOption.Client);
        CaPassword.AddTo(peer);
        peer.SetAction((parse, ct) => PeerCommand.InteractiveAsync(parse, ct));

        var wait = new Command("wait", "Wait for one sender and receive its files (non-interactive)");
        wait.Arguments.Add(KeyManager);
        wait.Options.Add(Out);
        wait.Options.Add(AcceptAll);
        wait.Options.Add(Name);
        wait.Options.Add(As);
        wait.Options.Add(ListenPort);
        wait.Options.Add(Advertise);
        wait.Options.Add(SuiteOption.Client);
        CaPassword.AddTo(wait);
        wait.SetAction((parse, ct) => PeerCommand.WaitAsync(parse, ct));

        var send = new Command("send", "Send files to a waiting peer (non-interactive)");
        send.Arguments.Add(KeyManager);
        send.Options.Add(To);
        send.Options.Add(Mode);
        send.Options.Add(Name);
        send.Options.Add(As);
        send.Options.Add(SuiteOption.Client);
        send.Arguments.Add(Files);
        CaPassword.AddTo(send);
        send.SetAction((parse, ct) => PeerCommand.SendAsync(parse, ct));

        peer.Subcommands.Add(wait);
        peer.Subcommands.Add(send);
        return peer;
    }
}
