namespace SafeWire.Cli.Commands.Ftp;

/// <summary>Reads --partial-max-age (hours), shared by `ftp serve` and `files serve`.</summary>
internal static class PartialMaxAgeOption
{
    public static TimeSpan Hours(double hours) =>
        double.IsFinite(hours) && hours > 0 && hours <= 24 * 3650
            ? TimeSpan.FromHours(hours)
            : throw new CliException($"--partial-max-age {hours}: give a number of hours above 0 (for example 24, or 0.5 for half an hour).");
}
