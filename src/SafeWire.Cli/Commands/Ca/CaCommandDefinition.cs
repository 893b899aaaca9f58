using System.CommandLine;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Ca;

internal static class CaCommandDefinition
{
    public static readonly Option<string> Name = new("--name")
    {
        Description = "The CA's name (subject CN)",
        DefaultValueFactory = _ => SafeWireHome.DefaultCaName,
    };

    public static readonly Option<int> Days = new("--days")
    {
        Description = "Validity of the CA certificate in days",
        DefaultValueFactory = _ => CertificateAuthority.DefaultCaDays,
    };

    public static readonly Option<bool> Rsa = new("--rsa") { Description = "RSA-3072 CA key instead of ECDSA P-256" };
    public static readonly PasswordOptions Password = new("the CA key");

    public static Command Create()
    {
        var ca = new Command("ca", "The home's private certificate authority");
        var init = new Command("init", "Create the CA (<home>/ca/ca.crt, ca.key, crl.pem) if absent; show it");
        init.Options.Add(Name);
        init.Options.Add(Days);
        init.Options.Add(Rsa);
        Password.AddTo(init);
        init.SetAction(parse => CaCommand.Init(parse));
        ca.Subcommands.Add(init);
        return ca;
    }
}
