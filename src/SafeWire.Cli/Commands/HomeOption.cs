using System.CommandLine;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands;

internal static class HomeOption
{
    /// <summary>The home chosen by --home, $SAFEWIRE_HOME or ~/.safewire.</summary>
    public static SafeWireHome Resolve(ParseResult parse) => SafeWireHome.Resolve(parse.GetValue(CommonOptions.Home)?.FullName);
}
