using System.CommandLine;
using System.Text;
using SafeWire.Files.Ftp;

namespace SafeWire.Cli.Commands.Ftp;

/// <summary><c>safewire ftp user add NAME --users FILE [--read-only] [--password-stdin]</c>.</summary>
internal static class FtpUserAddCommand
{
    public static int Run(ParseResult parseResult, TextReader input, TextWriter output, TextWriter error)
    {
        var name = parseResult.GetRequiredValue(FtpCommandDefinition.UserName);
        var file = parseResult.GetRequiredValue(FtpCommandDefinition.UsersFile);
        var readOnly = parseResult.GetValue(FtpCommandDefinition.ReadOnly);
        string? password;
        if (parseResult.GetValue(FtpCommandDefinition.PasswordStdin))
        {
            password = input.ReadLine();
        }
        else if (Console.IsInputRedirected)
        {
            error.WriteLine("error: standard input is not a terminal; pass --password-stdin to read the password from it.");
            return 2;
        }
        else
        {
            password = Prompt(output, "Password: ");
            if (password != Prompt(output, "Repeat password: "))
            {
                error.WriteLine("error: the passwords do not match.");
                return 1;
            }
        }

        if (string.IsNullOrEmpty(password))
        {
            error.WriteLine("error: the password is empty.");
            return 1;
        }

        try
        {
            FtpUserStore.AddOrReplace(file.FullName, name, password, readOnly);
        }
        catch (Exception e) when (e is FtpUserFileException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine("error: " + e.Message);
            return 1;
        }

        output.WriteLine($"{name} ({(readOnly ? "read-only" : "read-write")}) saved in {file.FullName}");
        return 0;
    }

    /// <summary>Reads a line from the terminal without echoing it.</summary>
    private static string Prompt(TextWriter output, string label)
    {
        output.Write(label);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                output.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
