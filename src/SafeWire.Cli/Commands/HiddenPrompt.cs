namespace SafeWire.Cli.Commands;

/// <summary>
/// Asks for a password on the terminal without showing it: keys are read one at a time, echoed as '*', into a char
/// buffer that is cleared afterwards (a prompt library would hand back an immutable string that cannot be).
/// Only for an interactive terminal; callers read redirected input as plain lines.
/// </summary>
internal static class HiddenPrompt
{
    /// <summary>Longer input is refused rather than grown into: the buffer is allocated once, up front.</summary>
    public const int MaxLength = 1024;

    /// <summary>Asks once; the caller clears the returned array.</summary>
    public static char[] Read(string label)
    {
        var buffer = new char[MaxLength];
        var length = 0;
        try
        {
            CliConsole.Error.Write($"{label} ");
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    CliConsole.Error.WriteLine();
                    return buffer[..length];
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (length > 0)
                    {
                        buffer[--length] = '\0';
                        CliConsole.Error.Write("\b \b");
                    }
                }
                else if (!char.IsControl(key.KeyChar))
                {
                    if (length == MaxLength)
                    {
                        CliConsole.Error.WriteLine();
                        throw new CliException($"a password is at most {MaxLength} characters");
                    }

                    buffer[length++] = key.KeyChar;
                    CliConsole.Error.Write('*');
                }
            }
        }
        finally
        {
            buffer.AsSpan().Clear();
        }
    }

    /// <summary>Asks twice for a new password and insists both match and are not empty; the caller clears the result.</summary>
    public static char[] ReadNew(string label)
    {
        var first = Read(label);
        var second = Read("Repeat the password:");
        try
        {
            if (!first.AsSpan().SequenceEqual(second))
            {
                first.AsSpan().Clear();
                throw new CliException("the passwords do not match");
            }
        }
        finally
        {
            second.AsSpan().Clear();
        }

        return first.Length > 0 ? first : throw new CliException("an empty password is not allowed");
    }
}
