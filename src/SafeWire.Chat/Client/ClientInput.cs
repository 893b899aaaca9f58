namespace SafeWire.Chat.Client;

/// <summary>One line typed in the interactive client, parsed (no I/O here).</summary>
internal abstract record ClientInput
{
    public const string Help = "type a line to chat; /who lists who is here; /msg NAME TEXT sends an end-to-end direct message; /quit leaves";

    public static ClientInput Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith('/'))
        {
            return line.Trim().Length == 0 ? new InputEmpty() : new InputChat(line);
        }

        var parts = line[1..].Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var verb = parts.Length == 0 ? string.Empty : parts[0].ToLowerInvariant();
        return verb switch
        {
            "who" => new InputWho(),
            "quit" or "exit" => new InputQuit(),
            "help" => new InputHelp(),
            "msg" when parts.Length == 3 => new InputDirect(parts[1], parts[2]),
            "msg" => new InputInvalid("usage: /msg NAME TEXT"),
            _ => new InputInvalid($"unknown command /{verb}; {Help}"),
        };
    }
}

internal sealed record InputEmpty : ClientInput;

internal sealed record InputChat(string Text) : ClientInput;

internal sealed record InputWho : ClientInput;

internal sealed record InputQuit : ClientInput;

internal sealed record InputHelp : ClientInput;

internal sealed record InputDirect(string Name, string Text) : ClientInput;

internal sealed record InputInvalid(string Hint) : ClientInput;
