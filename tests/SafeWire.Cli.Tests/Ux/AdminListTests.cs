using System.Net;
using SafeWire.Chat.Server;
using SafeWire.Cli.Commands.Serve;
using Spectre.Console;
using Xunit;

namespace SafeWire.Cli.Tests.Ux;

/// <summary>The admin <c>list</c> (and the demo's) on an 80-column terminal: one line per client, no wrapped fingerprints.</summary>
public sealed class AdminListTests
{
    private static readonly ConnectionInfo[] s_clients =
    [
        new(1, "alice", "SHA256:Qf6RRAzv2XUkPVsLWVo507WfZsHe4KhFqR4uOUYY55Y", new IPEndPoint(IPAddress.Parse("192.168.100.200"), 51318), 10101, DateTimeOffset.UtcNow, "Aes256CbcHmacSha256", 123_456, 9_876_543, 12),
        new(2, "bartholomew", "SHA256:ltypcjaCLfbURxF6BF2bM72but5PpdLqkGXa+eaTzOA", new IPEndPoint(IPAddress.Loopback, 60001), 10101, DateTimeOffset.UtcNow, "ChaCha20Poly1305", 5, 7, 1),
    ];

    private static string[] Render(bool full, int width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = width;
        console.Write(AdminConsole.ListTable(s_clients, full));
        return text.ToString().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToArray();
    }

    [Fact]
    public void ListFits80ColumnsWithOneLinePerClient()
    {
        var lines = Render(full: false, width: 80);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        // Each client is one line (the fingerprint wrapped over 8 lines before).
        Assert.Single(lines, l => l.Contains("alice", StringComparison.Ordinal));
        var alice = lines.Single(l => l.Contains("alice", StringComparison.Ordinal));
        Assert.Contains("192.168.100.200:51318", alice, StringComparison.Ordinal);
        Assert.Contains("cbc-hmac", alice, StringComparison.Ordinal);
        Assert.Contains("Qf6RRAzv", alice, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("list full shows whole key fingerprints", StringComparison.Ordinal));
    }

    [Fact]
    public void ListFullShowsWholeFingerprints()
    {
        var lines = Render(full: true, width: 240);
        Assert.Contains(lines, l => l.Contains("SHA256:Qf6RRAzv2XUkPVsLWVo507WfZsHe4KhFqR4uOUYY55Y", StringComparison.Ordinal));
    }
}
