using System.Globalization;
using System.Text;

namespace SafeWire.Benchmarks.Channel;

/// <summary>The load run's output: one Markdown table, SecureStream next to SslStream and plain TCP.</summary>
internal sealed class ResultTable
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row; a blank cell is "—" (not measured for that contender).</summary>
    public void Add(string metric, string secureStream, string sslStream, string plain, string target = "", string verdict = "")
    {
        _rows.Add([metric, Blank(secureStream), Blank(sslStream), Blank(plain), target, verdict]);
        Console.WriteLine($"  {metric}: SecureStream {Blank(secureStream)} | SslStream {Blank(sslStream)} | plain {Blank(plain)} {verdict}");
    }

    public static string Number(double value, string format = "N0") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>"met"/"MISSED" with the measured ratio, for a higher-is-better target.</summary>
    public static string Verdict(double ratio, double target) =>
        string.Create(CultureInfo.InvariantCulture, $"{(ratio >= target ? "met" : "MISSED")} ({ratio:0.00}×)");

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| measurement | SecureStream | SslStream (TLS 1.3) | plain TCP | target | result |");
        text.AppendLine("|---|---:|---:|---:|---|---|");
        foreach (var row in _rows)
        {
            text.AppendLine("| " + string.Join(" | ", row) + " |");
        }

        return text.ToString();
    }

    private static string Blank(string cell) => cell.Length == 0 ? "—" : cell;
}
