using System.Text;

namespace SafeWire.Files.Ftp;

/// <summary>
/// A control-channel reply (RFC 959 §4.2): a three-digit code and text, optionally with indented lines between
/// "code-text" and "code End" (FEAT, MLST, HELP). CR and LF in the text are replaced, so a file name can never
/// inject a reply line.
/// </summary>
internal sealed record FtpReply(int Code, string Text, IReadOnlyList<string>? Lines = null, string? FinalText = null)
{
    public bool IsPositive => Code is >= 100 and < 400;

    /// <summary>The bytes on the wire, UTF-8, CR LF terminated.</summary>
    public byte[] Encode()
    {
        var builder = new StringBuilder();
        if (Lines is null)
        {
            builder.Append(Code).Append(' ').Append(Clean(Text)).Append("\r\n");
        }
        else
        {
            builder.Append(Code).Append('-').Append(Clean(Text)).Append("\r\n");
            foreach (var line in Lines)
            {
                // A continuation line must not start with "<code> " or it would end the reply early.
                builder.Append(' ').Append(Clean(line)).Append("\r\n");
            }

            builder.Append(Code).Append(' ').Append(Clean(FinalText ?? "End")).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>Quotes a path for a 257 reply: enclosed in double quotes, inner quotes doubled (RFC 959 Appendix II).</summary>
    public static string QuotePath(string path) => "\"" + path.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Clean(string text) => text.Replace('\r', ' ').Replace('\n', ' ');
}
