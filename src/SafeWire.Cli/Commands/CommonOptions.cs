using System.CommandLine;

namespace SafeWire.Cli.Commands;

/// <summary>Options every verb shares.</summary>
internal static class CommonOptions
{
    /// <summary>The data directory: --home, else $SAFEWIRE_HOME, else ~/.safewire.</summary>
    public static readonly Option<DirectoryInfo?> Home = new("--home")
    {
        Description = "Data directory (default: $SAFEWIRE_HOME, else ~/.safewire)",
        Recursive = true,
    };
}
