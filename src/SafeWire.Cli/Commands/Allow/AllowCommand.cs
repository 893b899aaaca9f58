using System.CommandLine;
using SafeWire.Identity;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Allow;

internal static class AllowCommand
{
    public static int Add(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var key = parse.GetRequiredValue(AllowCommandDefinition.AddKey);
        var name = parse.GetRequiredValue(AllowCommandDefinition.AddName);
        string fingerprint;
        if (AllowList.IsFingerprint(key))
        {
            fingerprint = key;
        }
        else if (File.Exists(key))
        {
            var password = AllowCommandDefinition.AddPassword.Read(parse, confirm: false);
            try
            {
                fingerprint = KeyFile.Describe(key, password).Fingerprint;
            }
            finally
            {
                password.AsSpan().Clear();
            }
        }
        else if (key.StartsWith(Fingerprint.Prefix, StringComparison.Ordinal))
        {
            throw new CliException($"{key}: not a valid fingerprint (SHA256: followed by 43 base64 characters)");
        }
        else
        {
            throw new CliException($"{key}: no such file, and not a SHA256: fingerprint");
        }

        var list = AllowList.Load(home.AllowListPath);
        var previous = list.Find(fingerprint);
        list.Add(new AllowListEntry(fingerprint, name, parse.GetValue(AllowCommandDefinition.AddComment) ?? previous?.Comment));
        list.Save(home.AllowListPath);
        CliConsole.Out.WriteLine(previous is null
            ? $"allowed {fingerprint} as \"{name}\" ({home.AllowListPath})"
            : $"{fingerprint} was allowed as \"{previous.Name}\"; now as \"{name}\"");
        return 0;
    }

    public static int List(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var list = AllowList.Load(home.AllowListPath);
        if (list.Entries.Count == 0)
        {
            CliConsole.Out.WriteLine($"the allow-list is empty ({home.AllowListPath})");
            return 0;
        }

        var table = new Table().AddColumns("name", "fingerprint", "comment");
        foreach (var entry in list.Entries)
        {
            table.AddRow(Markup.Escape(entry.Name), entry.Fingerprint, Markup.Escape(entry.Comment ?? ""));
        }

        CliConsole.Console.Write(table);
        return 0;
    }

    public static int Remove(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var name = parse.GetRequiredValue(AllowCommandDefinition.RemoveName);
        var list = AllowList.Load(home.AllowListPath);
        var removed = list.Remove(name);
        if (removed == 0)
        {
            throw new CliException($"\"{name}\" is not on the allow-list ({home.AllowListPath})");
        }

        list.Save(home.AllowListPath);
        CliConsole.Out.WriteLine($"removed {removed} key{(removed == 1 ? "" : "s")} of \"{name}\"");
        return 0;
    }

    public static int Import(ParseResult parse)
    {
        var home = HomeOption.Resolve(parse);
        var file = parse.GetRequiredValue(AllowCommandDefinition.ImportFile);
        var entries = AllowList.ImportCsv(file.FullName);
        if (entries.Count == 0)
        {
            throw new CliException($"{file.FullName}: no name,key rows found; nothing imported");
        }

        var list = AllowList.Load(home.AllowListPath);
        foreach (var entry in entries)
        {
            list.Add(entry);
        }

        list.Save(home.AllowListPath);
        CliConsole.Out.WriteLine($"imported {entries.Count} key{(entries.Count == 1 ? "" : "s")} into {home.AllowListPath}");
        return 0;
    }
}
