using System.CommandLine;
using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Cli.Commands;

/// <summary>
/// Where a private key's password comes from: <c>--password-file FILE</c> (its first line) or
/// <c>--ask-password</c> (a hidden prompt on a terminal; one line of standard input otherwise).
/// Passwords are handed around as char arrays and cleared after use.
/// </summary>
internal sealed class PasswordOptions
{
    public PasswordOptions(string what, string fileOption = "--password-file", string askOption = "--ask-password")
    {
        What = what;
        File = new Option<FileInfo?>(fileOption) { Description = $"Read the password of {what} from the first line of FILE", HelpName = "FILE" };
        Ask = new Option<bool>(askOption) { Description = $"Prompt for the password of {what}" };
    }

    public string What { get; }

    public Option<FileInfo?> File { get; }

    public Option<bool> Ask { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(File);
        command.Options.Add(Ask);
    }

    /// <summary>The password, or an empty array when none was asked for. The caller clears it.</summary>
    public char[] Read(ParseResult parse, bool confirm)
    {
        var file = parse.GetValue(File);
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new CliException($"{file.FullName}: no such password file");
            }

            var bytes = System.IO.File.ReadAllBytes(file.FullName);
            try
            {
                var chars = Encoding.UTF8.GetChars(bytes);
                var end = Array.IndexOf(chars, '\n');
                var length = end < 0 ? chars.Length : end;
                if (length > 0 && chars[length - 1] == '\r')
                {
                    length--;
                }

                var password = chars[..length];
                chars.AsSpan().Clear();
                return password.Length > 0 ? password : throw new CliException($"{file.FullName}: the password file is empty");
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }

        if (!parse.GetValue(Ask))
        {
            return [];
        }

        if (CliConsole.InputRedirected)
        {
            var line = CliConsole.In.ReadLine();
            return string.IsNullOrEmpty(line) ? throw new CliException($"no password for {What} on standard input") : line.ToCharArray();
        }

        if (confirm)
        {
            return HiddenPrompt.ReadNew($"Password for {What}:");
        }

        var typed = HiddenPrompt.Read($"Password for {What}:");
        return typed.Length > 0 ? typed : throw new CliException("an empty password is not allowed");
    }
}
