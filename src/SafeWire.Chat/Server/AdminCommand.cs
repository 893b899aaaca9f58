namespace SafeWire.Chat.Server;

/// <summary>One line typed on the server's admin console, parsed (no I/O here).</summary>
internal abstract record AdminCommand
{
    public const string Help = """
        list                 connected clients (id, name, key, address, port, since, suite, bytes in/out)
        list full            the same with full key fingerprints and dates
        kick ID [REASON]     disconnect a client; it is told the reason
        broadcast TEXT       send a line to every client
        stats                server counters
        stop                 tell the clients, let them drain, exit
        help                 this list
        """;

    public static AdminCommand Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var trimmed = line.Trim();
        var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? trimmed : trimmed[..space]).ToLowerInvariant();
        var rest = space < 0 ? string.Empty : trimmed[(space + 1)..].Trim();
        return verb switch
        {
            "" => new AdminEmpty(),
            "list" or "ls" when rest.Length == 0 => new AdminList(),
            "list" or "ls" when rest is "full" or "-l" => new AdminList(Full: true),
            "list" or "ls" => new AdminInvalid("usage: list [full]"),
            "stats" => new AdminStats(),
            "stop" or "quit" or "exit" => new AdminStop(),
            "help" or "?" => new AdminHelp(),
            "broadcast" when rest.Length > 0 => new AdminBroadcast(rest),
            "broadcast" => new AdminInvalid("usage: broadcast TEXT"),
            "kick" => ParseKick(rest),
            _ => new AdminInvalid($"unknown command \"{verb}\"; type help for the list"),
        };
    }

    private static AdminCommand ParseKick(string rest)
    {
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var idText = space < 0 ? rest : rest[..space];
        if (!uint.TryParse(idText, out var id))
        {
            return new AdminInvalid("usage: kick ID [REASON] (ID as shown by list)");
        }

        var reason = space < 0 ? "no reason given" : rest[(space + 1)..].Trim();
        return new AdminKick(id, reason.Length == 0 ? "no reason given" : reason);
    }
}

internal sealed record AdminEmpty : AdminCommand;

/// <summary><c>list</c>: short key fingerprints that fit 80 columns; <c>list full</c>: whole fingerprints.</summary>
internal sealed record AdminList(bool Full = false) : AdminCommand;

internal sealed record AdminStats : AdminCommand;

internal sealed record AdminStop : AdminCommand;

internal sealed record AdminHelp : AdminCommand;

internal sealed record AdminBroadcast(string Text) : AdminCommand;

internal sealed record AdminKick(uint Id, string Reason) : AdminCommand;

/// <summary>Not a command: <see cref="Hint"/> is the one line to print.</summary>
internal sealed record AdminInvalid(string Hint) : AdminCommand;
