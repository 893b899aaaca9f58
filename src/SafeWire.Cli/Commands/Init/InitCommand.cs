using System.CommandLine;
using System.Security.Cryptography;
using SafeWire.Identity;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Init;

/// <summary>
/// Creates what is missing in the home (node key pair, CA with empty CRL) and reuses what is there:
/// running it twice changes no file.
/// </summary>
internal static class InitCommand
{
    public static int Run(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var needsPassword = !File.Exists(home.NodeKeyPath) || !home.HasCa;
        var password = needsPassword ? InitCommandDefinition.Password.Read(parse, confirm: true) : [];
        try
        {
            bool nodeCreated;
            string nodeFingerprint;
            if (File.Exists(home.NodeKeyPath) && File.Exists(home.NodePublicKeyPath))
            {
                nodeCreated = false;
                nodeFingerprint = KeyFile.Describe(home.NodePublicKeyPath).Fingerprint;
            }
            else
            {
                using var key = home.LoadOrCreateKey(SafeWireHome.NodeKeyName, out nodeCreated, password: password);
                nodeFingerprint = Fingerprint.Of(key.ExportSubjectPublicKeyInfo());
            }

            bool caCreated = !home.HasCa;
            string caFingerprint;
            string caSubject;
            if (caCreated)
            {
                using var ca = home.LoadOrCreateCa(password);
                (caFingerprint, caSubject) = (ca.Fingerprint, ca.Certificate.Subject);
            }
            else
            {
                using var certificate = CertificateFile.Read(home.CaCertificatePath);
                (caFingerprint, caSubject) = (Fingerprint.Of(certificate.PublicKey.ExportSubjectPublicKeyInfo()), certificate.Subject);
            }

            var table = new Table().AddColumns("", "file", "fingerprint", "");
            table.AddRow("node key", Markup.Escape(home.NodeKeyPath), nodeFingerprint, nodeCreated ? "created" : "existing");
            table.AddRow("CA " + Markup.Escape(caSubject), Markup.Escape(home.CaCertificatePath), caFingerprint, caCreated ? "created" : "existing");
            CliConsole.Console.Write(table);
            CliConsole.Out.WriteLine($"home: {home.Root}");
            return 0;
        }
        finally
        {
            password.AsSpan().Clear();
        }
    }
}
