using System.CommandLine;

namespace SafeWire.Cli.Commands.Keys;

internal static class KeysCommandDefinition
{
    public static readonly Argument<string> NewName = new("NAME") { Description = "Name of the key pair: <home>/keys/NAME.key and NAME.pub" };
    public static readonly Option<bool> Rsa = new("--rsa") { Description = "RSA-3072 instead of ECDSA P-256" };
    public static readonly Argument<string> ShowTarget = new("FILE|NAME") { Description = "A key, public key or certificate file, or the name of a key in the home" };
    public static readonly PasswordOptions NewPassword = new("the new private key");
    public static readonly PasswordOptions ShowPassword = new("the private key");

    public static Command Create()
    {
        var keys = new Command("keys", "Key pairs: create and inspect");

        var create = new Command("new", "Create a named key pair in the home (ECDSA P-256 unless --rsa)");
        create.Arguments.Add(NewName);
        create.Options.Add(Rsa);
        NewPassword.AddTo(create);
        create.SetAction(parse => KeysCommand.New(parse));
        keys.Subcommands.Add(create);

        var show = new Command("show", "Show a key's algorithm, size and fingerprint");
        show.Arguments.Add(ShowTarget);
        ShowPassword.AddTo(show);
        show.SetAction(parse => KeysCommand.Show(parse));
        keys.Subcommands.Add(show);
        return keys;
    }
}
