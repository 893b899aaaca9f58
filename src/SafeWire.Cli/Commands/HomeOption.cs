using System.CommandLine;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands;

internal static class HomeOption
{
    /// <summary>The home chosen by --home, $SAFEWIRE_HOME or ~/.safewire; a path that is a file is refused in one line.</summary>
    public static SafeWireHome Resolve(ParseResult parse)
    {
        var given = parse.GetValue(CommonOptions.Home)?.FullName;
        var path = given ?? Environment.GetEnvironmentVariable("SAFEWIRE_HOME");
        if (!string.IsNullOrEmpty(path) && File.Exists(path))
        {
            throw new CliException($"the home {path} is a file, not a directory; give a directory with --home DIR (it is created if missing)");
        }

        return SafeWireHome.Resolve(given);
    }
}
