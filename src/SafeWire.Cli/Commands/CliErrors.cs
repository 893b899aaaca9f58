using System.Globalization;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Cli.Commands;

/// <summary>Turns any exception that escapes a verb into one line on standard error and exit code 1. Never a stack trace.</summary>
internal static class CliErrors
{
    public const int Failure = 1;

    private static readonly AsyncLocal<Presented?> s_presented = new();

    /// <summary>Runs a verb; any exception escaping it is reported as one line, and the exit code is 1.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> verb)
    {
        ArgumentNullException.ThrowIfNull(verb);
        s_presented.Value = new Presented();
        try
        {
            return await verb().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    public static int Report(Exception exception)
    {
        CliConsole.Error.WriteLine("safewire: " + Describe(exception));
        return Failure;
    }

    public static string Describe(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        CliException or IdentityFileException => exception.Message,
        SecureChannelException secure when ServerRefusal(secure, null, null) is { } refusal => refusal,
        SecureChannelException { Alert: Protocol.Alert.NoCommonCipherSuite } => "the server accepts none of the cipher suites offered; try another --suite, or leave it out to offer all three",
        TrustException trust => $"not trusted ({trust.Reason}): {trust.Message}",
        ArgumentException argument => StripParameter(argument),
        FileNotFoundException notFound => $"{notFound.FileName ?? "file"}: no such file",
        DirectoryNotFoundException or UnauthorizedAccessException or IOException => exception.Message,
        CryptographicException => "cryptographic error: " + exception.Message,
        OperationCanceledException => "cancelled",
        InvalidOperationException => exception.Message,
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    /// <summary>
    /// Remembers what this client verb presents to <paramref name="server"/>, so that a refusal the server sends later
    /// (after the handshake, at the first read) still names the key and the fix.
    /// </summary>
    public static void Presenting(LocalCredential credential, string server)
    {
        if (s_presented.Value is { } presented)
        {
            presented.Client = Presented.Of(credential);
            presented.Server = server;
        }
    }

    /// <summary>
    /// One plain line for a server that refused this client's key or certificate (what happened and the command that
    /// fixes it), or null when <paramref name="exception"/> is something else. <paramref name="credential"/>: what the
    /// client presented (its key is named in the line); <paramref name="server"/>: HOST:PORT dialled.
    /// </summary>
    public static string? ServerRefusal(SecureChannelException exception, LocalCredential? credential, string? server)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (!exception.SentByPeer || exception.TrustFailure is not { } reason)
        {
            return null;
        }

        var client = credential is null ? null : Presented.Of(credential);
        if (client is null && s_presented.Value is { Client: { } remembered } presented)
        {
            client = remembered;
            server ??= presented.Server;
        }

        var at = server is null ? "the server" : $"the server at {server}";
        var name = client?.Name ?? "NAME";
        var key = client?.Fingerprint;
        var yourKey = key is null ? "your key (safewire id shows it)" : $"your key {key}";
        return reason switch
        {
            TrustFailureReason.NotOnAllowList or TrustFailureReason.UnknownKey =>
                $"{at} does not allow {yourKey}; ask its admin to run: safewire allow add {key ?? "SHA256:…"} --name {name} (or to give you a join code: safewire invite {name})",
            TrustFailureReason.Revoked => client?.Serial is null
                ? $"{at} refused you: your certificate was revoked by its CA; ask its admin for a new join code (safewire invite {name}) and run safewire join CODE here"
                : $"{at} refused you: your certificate (serial {client.Serial}) was revoked by {client.Issuer}; ask its admin for a new join code (safewire invite {name}) and run safewire join CODE here",
            TrustFailureReason.UntrustedIssuer =>
                $"{at} does not accept your certificate: it admits only certificates from its own CA; ask its admin for a join code (safewire invite {name}) and run safewire join CODE here",
            TrustFailureReason.Expired =>
                $"{at} refused you: your certificate has expired{(client?.NotAfter is { } end ? " (" + end + " UTC)" : "")}; join again with a new code from its admin (safewire invite {name})",
            _ => null,
        };
    }

    /// <summary>What a client presented, copied (the credential itself may be disposed by the time an error is told).</summary>
    private sealed record ClientKey(string Fingerprint, string Name, string? Serial, string? Issuer, string? NotAfter);

    private sealed class Presented
    {
        public ClientKey? Client { get; set; }

        public string? Server { get; set; }

        public static ClientKey Of(LocalCredential credential)
        {
            var certificate = credential.Certificate;
            if (certificate is null)
            {
                return new ClientKey(credential.Fingerprint, "NAME", null, null, null);
            }

            var issuer = certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: true);
            return new ClientKey(credential.Fingerprint, HomeIdentity.CommonName(certificate), certificate.SerialNumber,
                string.IsNullOrEmpty(issuer) ? "its CA" : $"the CA \"{issuer}\"",
                certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        }
    }

    private static string StripParameter(ArgumentException exception)
    {
        var message = exception.Message;
        var cut = exception.ParamName is null ? -1 : message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
