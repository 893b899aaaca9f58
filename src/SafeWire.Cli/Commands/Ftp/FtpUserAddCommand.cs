using System.CommandLine;
using SafeWire.Files.Ftp;

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
        else if (CliConsole.InputRedirected)
        {
            throw new CliException("standard input is not a terminal; pass --password-stdin to read the password from it");
        }
        else
        {
            var chars = HiddenPrompt.ReadNew($"Password for {name}:");
            password = new string(chars);   // FtpUserStore hashes a string
            chars.AsSpan().Clear();
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
