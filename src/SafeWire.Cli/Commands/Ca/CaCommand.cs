using System.CommandLine;
using SafeWire.Identity;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Ca;

internal static class CaCommand
{
    public static int Init(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var name = parse.GetRequiredValue(CaCommandDefinition.Name);
        var days = parse.GetValue(CaCommandDefinition.Days);
        if (days < 1)
        {
            throw new CliException("--days must be at least 1");
        }

        if (home.HasCa)
        {
            using var existing = CertificateFile.Read(home.CaCertificatePath);
            CliConsole.Out.WriteLine($"CA already exists, keeping it: {existing.Subject}");
            Describe(home, existing);
            return 0;
        }

        var password = CaCommandDefinition.Password.Read(parse, confirm: true);
        try
        {
            var algorithm = parse.GetValue(CaCommandDefinition.Rsa) ? KeyAlgorithm.Rsa3072 : KeyAlgorithm.EcdsaP256;
            using var ca = home.LoadOrCreateCa(password, name, days, algorithm);
            CliConsole.Out.WriteLine($"created CA {ca.Certificate.Subject}{(password.Length > 0 ? " (key encrypted)" : "")}");
            Describe(home, ca.Certificate);
            return 0;
        }
        finally
        {
            password.AsSpan().Clear();
        }
    }

    private static void Describe(SafeWireHome home, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var table = new Table().AddColumns("", "").HideHeaders();
        table.AddRow("certificate", Markup.Escape(home.CaCertificatePath));
        table.AddRow("private key", Markup.Escape(home.CaKeyPath));
        table.AddRow("CRL", Markup.Escape(home.CrlPath));
        table.AddRow("valid", $"{certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}");
        table.AddRow("fingerprint", Fingerprint.Of(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        CliConsole.Console.Write(table);
    }
}
