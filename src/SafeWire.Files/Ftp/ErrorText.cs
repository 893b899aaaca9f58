namespace SafeWire.Files.Ftp;

/// <summary>One readable line for a log: the innermost useful message, not ".NET's see inner exception".</summary>
internal static class ErrorText
{
    public static string Of(Exception exception)
    {
        var current = exception;
        var text = current.Message;
        while (current.InnerException is { } inner && (text.Length == 0 || text.Contains("inner exception", StringComparison.OrdinalIgnoreCase)))
        {
            current = inner;
            text = current.Message;
        }

        return text;
    }
}
