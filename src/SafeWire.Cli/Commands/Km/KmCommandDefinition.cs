using System.CommandLine;

namespace SafeWire.Cli.Commands.Km;

internal static class KmCommandDefinition
{
    public static readonly Option<string> Host = new("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1", HelpName = "ADDRESS" };

    public static readonly Option<int> Port = new("--port") { Description = "Port to listen on", DefaultValueFactory = _ => 7000 };

    public static readonly Option<int> KeyLifetime = new("--key-lifetime") { Description = "Seconds issued transfer keys stay valid for starting a transfer", DefaultValueFactory = _ => 120, HelpName = "SECONDS" };

    public static readonly Option<FileInfo?> Journal = new("--journal") { Description = "Append one line per message handled (time, session, direction, type, size; never contents) to FILE", HelpName = "FILE" };

    public static readonly PasswordOptions CaPassword = new("the home CA's key (only to issue the key manager's certificate)", "--ca-password-file", "--ask-ca-password");

    public static Command Create()
    {
        var serve = new Command("serve", "Run the key manager: peers say send or wait, it pairs them and issues per-transfer keys (cbc/cfb) or introduces them (e2e)");
        serve.Options.Add(Host);
        serve.Options.Add(Port);
        serve.Options.Add(KeyLifetime);
        serve.Options.Add(Journal);
        serve.Options.Add(SuiteOption.Server);
        serve.Options.Add(Trust.ServerNames.DnsOption);
        CaPassword.AddTo(serve);
        serve.SetAction((parse, ct) => KmCommand.ServeAsync(parse, ct));

        var km = new Command("km", "Key manager for peer-to-peer encrypted file transfer");
        km.Subcommands.Add(serve);
        return km;
    }
}
