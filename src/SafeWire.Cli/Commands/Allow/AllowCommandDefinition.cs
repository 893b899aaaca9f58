using System.CommandLine;

namespace SafeWire.Cli.Commands.Allow;

internal static class AllowCommandDefinition
{
    public static readonly Argument<string> AddKey = new("FILE|FINGERPRINT") { Description = "A key, public key or certificate file, or a SHA256:... fingerprint" };
    public static readonly Option<string> AddName = new("--name") { Description = "The name the key is allowed as", Required = true };
    public static readonly Option<string?> AddComment = new("--comment") { Description = "A comment kept on the line" };
    public static readonly PasswordOptions AddPassword = new("the private key");
    public static readonly Argument<string> RemoveName = new("NAME") { Description = "Remove every key allowed under this name" };
    public static readonly Argument<FileInfo> ImportFile = new("CSV") { Description = "Rows of name,key where key is a SHA256: fingerprint, a PEM public key (quoted) or base64 SPKI" };

    public static Command Create()
    {
        var allow = new Command("allow", "The allow-list of client keys (<home>/allowed.txt)");

        var add = new Command("add", "Allow a key under a name");
        add.Arguments.Add(AddKey);
        add.Options.Add(AddName);
        add.Options.Add(AddComment);
        AddPassword.AddTo(add);
        add.SetAction(parse => AllowCommand.Add(parse));
        allow.Subcommands.Add(add);

        var list = new Command("list", "List the allowed keys");
        list.SetAction(parse => AllowCommand.List(parse));
        allow.Subcommands.Add(list);

        var remove = new Command("remove", "Remove a name's keys from the allow-list");
        remove.Arguments.Add(RemoveName);
        remove.SetAction(parse => AllowCommand.Remove(parse));
        allow.Subcommands.Add(remove);

        var import = new Command("import", "Add every row of a CSV file of name,key rows (the original design's allowed.csv)");
        import.Arguments.Add(ImportFile);
        import.SetAction(parse => AllowCommand.Import(parse));
        allow.Subcommands.Add(import);
        return allow;
    }
}
