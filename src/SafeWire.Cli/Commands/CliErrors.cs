using System.Security.Cryptography;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands;

/// <summary>Turns any exception that escapes a verb into one line on standard error and exit code 1. Never a stack trace.</summary>
internal static class CliErrors
{
    public const int Failure = 1;

    public static int Report(Exception exception)
    {
        CliConsole.Error.WriteLine("safewire: " + Describe(exception));
        return Failure;
    }

    public static string Describe(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        CliException or IdentityFileException => exception.Message,
        TrustException trust => $"not trusted ({trust.Reason}): {trust.Message}",
        ArgumentException argument => StripParameter(argument),
        FileNotFoundException notFound => $"{notFound.FileName ?? "file"}: no such file",
        DirectoryNotFoundException or UnauthorizedAccessException or IOException => exception.Message,
        CryptographicException => "cryptographic error: " + exception.Message,
        OperationCanceledException => "cancelled",
        InvalidOperationException => exception.Message,
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    private static string StripParameter(ArgumentException exception)
    {
        var message = exception.Message;
        var cut = exception.ParamName is null ? -1 : message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
