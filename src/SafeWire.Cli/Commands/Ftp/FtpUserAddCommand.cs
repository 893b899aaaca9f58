using System.CommandLine;
using SafeWire.Files.Ftp;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Ftp;

/// <summary><c>safewire ftp user add NAME --users FILE [--read-only] [--password-stdin]</c>.</summary>
internal static class FtpUserAddCommand
{
    public static int Run(ParseResult parseResult, TextReader input, TextWriter output)
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
            throw new CliException("standard input is not a terminal; pass --password-stdin to read the password from it");
        }
        else
        {
            password = AnsiConsole.Prompt(new TextPrompt<string>($"Password for {name}:").Secret());
            if (password != AnsiConsole.Prompt(new TextPrompt<string>("Repeat the password:").Secret()))
            {
                throw new CliException("the passwords do not match");
            }
        }

        if (string.IsNullOrEmpty(password))
        {
            throw new CliException("an empty password is not allowed");
        }

        try
        {
            FtpUserStore.AddOrReplace(file.FullName, name, password, readOnly);
        }
        catch (FtpUserFileException e)
        {
            throw new CliException(e.Message);
        }

        output.WriteLine($"{name} ({(readOnly ? "read-only" : "read-write")}) saved in {file.FullName}");
        return 0;
    }
}
