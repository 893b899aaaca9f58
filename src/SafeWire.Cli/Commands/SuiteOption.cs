using System.CommandLine;
using SafeWire.Protocol;

namespace SafeWire.Cli.Commands;

/// <summary>
/// <c>--suite aes-gcm|chacha20|cbc-hmac</c> on every client and server verb: a client offers only that suite, a server
/// accepts only the suites listed (comma-separated). Without it both sides use all three, AES-256-GCM first.
/// </summary>
internal static class SuiteOption
{
    private static readonly (string Name, CipherSuite Suite)[] s_names =
    [
        ("aes-gcm", CipherSuite.Aes256Gcm),
        ("chacha20", CipherSuite.ChaCha20Poly1305),
        ("cbc-hmac", CipherSuite.Aes256CbcHmacSha256),
    ];

    /// <summary>The option on a client verb: one suite to offer.</summary>
    public static readonly Option<string?> Client = Create("Cipher suite to offer: aes-gcm, chacha20 or cbc-hmac (AES-256-CBC + HMAC-SHA256, encrypt-then-MAC); default: all three, aes-gcm first");

    /// <summary>The option on a server verb: the suites to accept.</summary>
    public static readonly Option<string?> Server = Create("Cipher suites to accept, comma-separated: aes-gcm, chacha20, cbc-hmac; default: all three");

    /// <summary>The suites named by <paramref name="option"/>, or the default list when it was not given.</summary>
    public static IList<CipherSuite> Get(ParseResult parse, Option<string?> option)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var text = parse.GetValue(option);
        return text is null ? [CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305, CipherSuite.Aes256CbcHmacSha256] : Parse(text);
    }

    /// <summary>How a suite is named on the command line.</summary>
    public static string NameOf(CipherSuite suite) => s_names.FirstOrDefault(n => n.Suite == suite).Name ?? suite.ToString();

    private static List<CipherSuite> Parse(string text)
    {
        var suites = new List<CipherSuite>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = s_names.FirstOrDefault(n => n.Name.Equals(part, StringComparison.OrdinalIgnoreCase));
            if (match.Name is null)
            {
                throw new CliException($"--suite {part}: unknown cipher suite; use aes-gcm, chacha20 or cbc-hmac");
            }

            if (!suites.Contains(match.Suite))
            {
                suites.Add(match.Suite);
            }
        }

        return suites.Count > 0 ? suites : throw new CliException("--suite needs a suite: aes-gcm, chacha20 or cbc-hmac");
    }

    private static Option<string?> Create(string description)
    {
        var option = new Option<string?>("--suite") { Description = description, HelpName = "SUITE" };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is null)
            {
                return;
            }

            try
            {
                Parse(value);
            }
            catch (CliException e)
            {
                result.AddError(e.Message);
            }
        });
        return option;
    }
}
