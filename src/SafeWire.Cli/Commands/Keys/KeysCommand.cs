using System.CommandLine;
using SafeWire.Identity;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Keys;

internal static class KeysCommand
{
    public static int New(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var name = SafeWireHome.CheckName(parse.GetRequiredValue(KeysCommandDefinition.NewName));
        if (File.Exists(home.KeyPath(name)))
        {
            throw new CliException($"{home.KeyPath(name)} already exists; keys are never overwritten");
        }

        var password = KeysCommandDefinition.NewPassword.Read(parse, confirm: true);
        try
        {
            var algorithm = parse.GetValue(KeysCommandDefinition.Rsa) ? KeyAlgorithm.Rsa3072 : KeyAlgorithm.EcdsaP256;
            using var key = home.LoadOrCreateKey(name, out _, algorithm, password);
            CliConsole.Out.WriteLine($"created {KeyFile.NameOf(key)} key pair \"{name}\"{(password.Length > 0 ? " (private key encrypted)" : "")}");
            CliConsole.Out.WriteLine($"  private: {home.KeyPath(name)}");
            CliConsole.Out.WriteLine($"  public:  {home.PublicKeyPath(name)}");
            CliConsole.Out.WriteLine($"  fingerprint: {Fingerprint.Of(key.ExportSubjectPublicKeyInfo())}");
            return 0;
        }
        finally
        {
            password.AsSpan().Clear();
        }
    }

    public static int Show(ParseResult parse)
    {
        var target = parse.GetRequiredValue(KeysCommandDefinition.ShowTarget);
        var path = ResolveKeyFile(HomeOption.Resolve(parse), target);
        var password = KeysCommandDefinition.ShowPassword.Read(parse, confirm: false);
        try
        {
            var description = KeyFile.Describe(path, password);
            var table = new Table().AddColumns("", "").HideHeaders();
            table.AddRow("file", Markup.Escape(path));
            table.AddRow("content", description.Content);
            table.AddRow("algorithm", description.Algorithm);
            table.AddRow("size", $"{description.KeySize} bits");
            table.AddRow("fingerprint", description.Fingerprint);
            CliConsole.Console.Write(table);
            return 0;
        }
        finally
        {
            password.AsSpan().Clear();
        }
    }

    /// <summary>An existing file path, else a name in the home: keys/NAME.pub, keys/NAME.key, certs/NAME.crt.</summary>
    private static string ResolveKeyFile(SafeWireHome home, string target)
    {
        if (File.Exists(target))
        {
            return Path.GetFullPath(target);
        }

        if (target.Contains('/', StringComparison.Ordinal))
        {
            throw new CliException($"{target}: no such file");
        }

        var name = SafeWireHome.CheckName(target);
        foreach (var candidate in new[] { home.PublicKeyPath(name), home.KeyPath(name), home.CertificatePath(name) })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new CliException($"no file {target} and no key named \"{target}\" in {home.Root}");
    }
}
