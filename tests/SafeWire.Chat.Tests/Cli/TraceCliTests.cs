using System.Text.RegularExpressions;
using SafeWire.TestSupport;

namespace SafeWire.Chat.Tests.Cli;

/// <summary>
/// <c>safewire trace</c> through the real executable. With SAFEWIRE_UPDATE_EXAMPLES=1 the session's logs are also
/// written to docs/examples/ (seed M.7: example logs of what crossed the wire).
/// </summary>
public sealed partial class TraceCliTests
{
    private static readonly TimeSpan s_exit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Trace_PrintsEachMessageWithFieldsChecksAndSecrets_AndWritesAKeyLog()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        await using var server = SafeWireProcess.Start(["--home", dir["server"], "serve", "--port", $"{port}", "--hop-ports", "30000-39999"]);
        await server.WaitForOutputAsync("admin console: type help");

        var hidden = await SafeWireProcess.RunAsync(["--home", dir["alice"], "trace", $"127.0.0.1:{port}", "--name", "alice", "--trust-on-first-use"], timeout: s_exit);
        Assert.True(hidden.ExitCode == 0, hidden.Output + hidden.Error);
        Assert.Contains("derived CLIENT_HANDSHAKE_TRAFFIC_SECRET (32 bytes): (value hidden; --reveal-secrets prints it)", hidden.Output, StringComparison.Ordinal);

        var keyLog = dir["keys.log"];
        var trace = await SafeWireProcess.RunAsync(["--home", dir["alice"], "trace", $"127.0.0.1:{port}", "--name", "alice", "--reveal-secrets", "--keylog", keyLog, "--trust-on-first-use"], timeout: s_exit);
        Assert.True(trace.ExitCode == 0, trace.Output + trace.Error);
        var output = trace.Output;
        Assert.Contains("[1] client -> server  ClientHello", output, StringComparison.Ordinal);
        Assert.Contains("server -> client  ServerHello", output, StringComparison.Ordinal);
        Assert.Contains("cipher_suite       2 B  Aes256Gcm", output, StringComparison.Ordinal);
        Assert.Contains("verified: the server's signature over the transcript hash", output, StringComparison.Ordinal);
        Assert.Contains("verified: HMAC over the whole transcript", output, StringComparison.Ordinal);
        Assert.Contains("chat frame server -> client: HopOffer", output, StringComparison.Ordinal);
        Assert.Contains("chat frame client -> server: HopProof", output, StringComparison.Ordinal);
        Assert.Matches("port: handshake on \\d+, conversation on 3\\d{4}", output);

        // The key log has the NSS format, and its secrets are the ones the trace revealed, per ClientHello random.
        var lines = (await File.ReadAllLinesAsync(keyLog, TestContext.Current.CancellationToken)).Where(l => !l.StartsWith('#')).ToArray();
        Assert.Equal(10, lines.Length); // two handshakes (control port, hop port), five secrets each
        foreach (var line in lines)
        {
            var match = KeyLogLine().Match(line);
            Assert.True(match.Success, line);
            Assert.Contains($"derived {match.Groups[1].Value} (32 bytes): {match.Groups[3].Value}", output, StringComparison.Ordinal);
            Assert.Contains($"random            32 B  {match.Groups[2].Value}", output, StringComparison.Ordinal);
        }

        await server.WriteLineAsync("stop");
        Assert.Equal(0, await server.WaitForExitAsync(s_exit));
        await WriteExamplesAsync(output, server.Output, string.Join('\n', lines) + "\n");
    }

    [GeneratedRegex("^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) ([0-9a-f]{64}) ([0-9a-f]{64})$")]
    private static partial Regex KeyLogLine();

    private static async Task WriteExamplesAsync(string trace, string serverLog, string keyLog)
    {
        if (Environment.GetEnvironmentVariable("SAFEWIRE_UPDATE_EXAMPLES") != "1")
        {
            return;
        }

        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SafeWire.slnx")))
        {
            root = root.Parent;
        }

        var examples = Directory.CreateDirectory(Path.Combine(root!.FullName, "docs", "examples")).FullName;
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(Path.Combine(examples, "chat-trace.txt"), "$ safewire trace 127.0.0.1:PORT --name alice --reveal-secrets --keylog keys.log --trust-on-first-use\n" + trace, ct);
        await File.WriteAllTextAsync(Path.Combine(examples, "chat-server.log"), "$ safewire serve --port PORT --hop-ports 30000-39999   (then: stop)\n" + serverLog, ct);
        await File.WriteAllTextAsync(Path.Combine(examples, "chat-keylog.txt"), "# keys.log written by the trace above (demo session: these keys protect nothing)\n" + keyLog, ct);
    }
}
