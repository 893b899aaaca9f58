using System.Diagnostics;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Capture;

/// <summary>
/// The example captures in docs/examples/wireshark (made by tools/wireshark/make-examples.sh): the Lua dissector
/// decodes them in tshark, and <c>safewire capture decrypt</c> opens them with their key logs, for each suite.
/// Needs tshark (.ci/run installs it); without it the tshark tests are skipped, except under CI=true where they fail.
/// </summary>
public sealed class WiresharkCaptureTests
{
    internal static readonly string Root = FindRoot();
    internal static readonly string Examples = Path.Combine(Root, "docs", "examples", "wireshark");
    internal static readonly string Dissector = Path.Combine(Root, "tools", "wireshark", "safewire.lua");

    public static TheoryData<string, string, string[]> Sessions => new()
    {
        { "chat-cbc-hmac", "Aes256CbcHmacSha256", ["Hello Bob, this line travels under AES-256-CBC + HMAC-SHA256.", "Hi Alice, received loud and clear."] },
        { "chat-chacha20", "ChaCha20Poly1305", ["Hello Bob, this line travels under ChaCha20-Poly1305.", "Hi Alice, received loud and clear."] },
        { "files-aes-gcm", "Aes256Gcm", ["/hello.txt"] },
    };

    [Fact]
    public async Task DissectorShowsThePlaintextHandshakeAndRecordHeaders()
    {
        RequireTshark();
        var capture = Path.Combine(Examples, "chat-cbc-hmac.pcapng");
        var randoms = File.ReadLines(Path.Combine(Examples, "chat-cbc-hmac.keys"))
            .Where(l => l.StartsWith("CLIENT_TRAFFIC_SECRET_0 ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[1]).ToList();
        Assert.Equal(2, randoms.Count); // alice and bob

        var hellos = await FieldsAsync(capture, "safewire.handshake.type == 1", "tcp.stream", "safewire.record.session_id", "safewire.hello.random", "safewire.hello.suite_count", "safewire.hello.cipher_suite", "safewire.hello.server_name", "tcp.dstport");
        Assert.Equal(2, hellos.Count);
        foreach (var hello in hellos)
        {
            Assert.Equal(new string('0', 32), hello[1]); // no session ID before the ServerHello
            Assert.Contains(hello[2], randoms);
            Assert.Equal("1", hello[3]);
            Assert.Equal("0x0003", hello[4]);
            Assert.Equal("127.0.0.1", hello[5]); // make-examples.sh connects by address
            Assert.Equal("10101", hello[6]);
        }

        var serverHellos = await FieldsAsync(capture, "safewire.handshake.type == 2", "tcp.stream", "safewire.hello.cipher_suite", "safewire.hello.session_id", "safewire.hello.mode", "safewire.hello.key_share_length");
        Assert.Equal(2, serverHellos.Count);
        var sessionIds = serverHellos.ToDictionary(s => s[0], s => s[2]);
        Assert.All(serverHellos, s => Assert.Equal(["0x0003", "0", "65"], s[1..2].Concat(s[3..]).ToArray()));
        Assert.All(sessionIds.Values, id => Assert.NotEqual(new string('0', 32), id));

        // Every encrypted record carries its session's ID; CBC bodies are IV + whole blocks + MAC.
        var encrypted = await FieldsAsync(capture, "safewire.record.type == 23", "tcp.stream", "safewire.record.type", "safewire.record.session_id", "safewire.record.length");
        Assert.True(encrypted.Count >= 10, $"{encrypted.Count} encrypted records");
        foreach (var record in encrypted.SelectMany(SplitRecords).Where(r => r.Type == 23))
        {
            Assert.Equal(sessionIds[record.Stream], record.SessionId);
            Assert.True(record.Length > 48 && (record.Length - 48) % 16 == 0, $"CBC record body of {record.Length} bytes");
        }
    }

    [Fact]
    public async Task DissectorFindsSafeWireByHeuristicOnAnotherPort()
    {
        RequireTshark();
        var capture = Path.Combine(Examples, "chat-cbc-hmac.pcapng");
        var onDefault = await FieldsAsync(capture, "safewire", [], "frame.number");
        var withoutPort = await FieldsAsync(capture, "safewire", ["-o", "safewire.ports:1"], "frame.number");
        Assert.NotEmpty(onDefault);
        Assert.Equal(onDefault.Select(r => r[0]), withoutPort.Select(r => r[0]));
    }

    [Theory]
    [MemberData(nameof(Sessions))]
    public async Task DecryptPrintsTheConversationRecordByRecord(string example, string suite, string[] messages)
    {
        using var temp = new TempDirectory();
        var result = await DecryptAsync(example, example + ".keys", temp["out.pcapng"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Error);
        Assert.Contains($"suite {suite}", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("note:", result.Output, StringComparison.Ordinal);
        Assert.Contains("ClientHello", result.Output, StringComparison.Ordinal);
        Assert.Contains("handshake (handshake keys, seq 0;", result.Output, StringComparison.Ordinal);
        Assert.Contains("alert CloseNotify", result.Output, StringComparison.Ordinal);
        foreach (var message in messages)
        {
            Assert.Contains(message, result.Output, StringComparison.Ordinal);
        }

        Assert.True(new FileInfo(temp["out.pcapng"]).Length > 0);
        Assert.Equal(["out.pcapng"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(Sessions))]
    public async Task DecryptedCaptureShowsTheMessagesInTshark(string example, string suite, string[] messages)
    {
        RequireTshark();
        Assert.NotEmpty(suite);
        using var temp = new TempDirectory();
        Assert.Equal(0, (await DecryptAsync(example, example + ".keys", temp["out.pcapng"])).ExitCode);
        var field = example.StartsWith("chat", StringComparison.Ordinal) ? "safewire_plain.chat.text" : "safewire_plain.files.path";
        var rows = await FieldsAsync(temp["out.pcapng"], "safewire_plain", [], "safewire_plain.keys", "safewire_plain.content_type", field, "_ws.col.Info");
        foreach (var message in messages)
        {
            // Several messages of one frame come comma-separated, and the messages hold commas themselves.
            Assert.Contains(rows, r => r[2] == message || r[2].StartsWith(message + ",", StringComparison.Ordinal) || r[2].EndsWith("," + message, StringComparison.Ordinal));
        }

        Assert.Contains(rows, r => r[0] == "0" && r[3] == "ClientHello");
        Assert.Contains(rows, r => r[0] == "1" && r[3].Contains("Finished", StringComparison.Ordinal));
        Assert.Contains(rows, r => r[0] == "2" && r[1] == "21" && r[3].Contains("close_notify", StringComparison.Ordinal));
        Assert.DoesNotContain(rows, r => r[0] == "3");
    }

    [Fact]
    public async Task DecryptWithoutTheSessionsSecretsSaysWhichAreMissing()
    {
        using var temp = new TempDirectory();
        var result = await DecryptAsync("files-aes-gcm", "chat-cbc-hmac.keys", temp["out.pcapng"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("note: the key log has no CLIENT_HANDSHAKE_TRAFFIC_SECRET for client random", result.Output, StringComparison.Ordinal);
        Assert.Contains("encrypted, not opened", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("/hello.txt", result.Output, StringComparison.Ordinal);
        Assert.Contains(", 0 decrypted;", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecryptWithAWrongSecretOpensNothingAfterIt()
    {
        using var temp = new TempDirectory();
        var keys = File.ReadAllLines(Path.Combine(Examples, "files-aes-gcm.keys"))
            .Select(l => l.StartsWith("CLIENT_TRAFFIC_SECRET_0 ", StringComparison.Ordinal) ? l[..^2] + (l[^2..] == "00" ? "01" : "00") : l);
        await File.WriteAllLinesAsync(temp["wrong.keys"], keys, TestContext.Current.CancellationToken);
        var result = await DecryptAsync("files-aes-gcm", temp["wrong.keys"], temp["out.pcapng"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("a client record does not authenticate with the key log's application secret", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("files Put \"/hello.txt\"", result.Output, StringComparison.Ordinal); // the client's first application record
        Assert.Contains("files PutReady", result.Output, StringComparison.Ordinal); // the server's direction still opens
    }

    [Fact]
    public async Task DecryptRefusesAFileThatIsNotACaptureInOneLine()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp["notes.txt"], "not a capture at all", TestContext.Current.CancellationToken);
        var result = await SafeWireProcess.RunAsync(["capture", "decrypt", temp["notes.txt"], "--keylog", Path.Combine(Examples, "chat-cbc-hmac.keys")]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"safewire: {temp["notes.txt"]}: not a pcapng or pcap capture file", result.Error.Trim());
        Assert.Equal(["notes.txt"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DecryptReadsTheClassicPcapFormatToo()
    {
        RequireTshark();
        using var temp = new TempDirectory();
        var converted = await RunToolAsync("editcap", ["-F", "pcap", Path.Combine(Examples, "chat-cbc-hmac.pcapng"), temp["chat.pcap"]]);
        Assert.True(converted.ExitCode == 0, converted.Error);
        var result = await SafeWireProcess.RunAsync(["capture", "decrypt", temp["chat.pcap"], "--keylog", Path.Combine(Examples, "chat-cbc-hmac.keys"), "--output", temp["out.pcapng"]]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("2 session(s), 25 records, 21 decrypted;", result.Output, StringComparison.Ordinal);
        Assert.Contains("Hi Alice, received loud and clear.", result.Output, StringComparison.Ordinal);
    }

    private static Task<ProcessResult> DecryptAsync(string example, string keys, string output) =>
        SafeWireProcess.RunAsync(["capture", "decrypt", Path.Combine(Examples, example + ".pcapng"), "--keylog", Path.Combine(Examples, keys), "--output", output]);

    /// <summary>tshark puts all records of one TCP segment in one row (a ServerHello and the first encrypted
    /// handshake record, for example): their fields come comma-separated, in order.</summary>
    private static IEnumerable<(string Stream, int Type, string SessionId, int Length)> SplitRecords(string[] row)
    {
        var types = row[1].Split(',');
        var ids = row[2].Split(',');
        var lengths = row[3].Split(',');
        Assert.True(types.Length == ids.Length && ids.Length == lengths.Length, string.Join('|', row));
        for (int i = 0; i < types.Length; i++)
        {
            yield return (row[0], int.Parse(types[i], System.Globalization.CultureInfo.InvariantCulture), ids[i], int.Parse(lengths[i], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static Task<List<string[]>> FieldsAsync(string capture, string filter, params string[] fields) => FieldsAsync(capture, filter, [], fields);

    private static async Task<List<string[]>> FieldsAsync(string capture, string filter, string[] extra, params string[] fields)
    {
        string[] args = ["-n", "-r", capture, "-X", "lua_script:" + Dissector, .. extra, "-Y", filter, "-T", "fields", "-E", "separator=|", .. fields.SelectMany(f => new[] { "-e", f })];
        var (exitCode, output, error) = await RunToolAsync("tshark", args);
        var errors = error.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("Running as user", StringComparison.Ordinal)).ToList();
        Assert.True(exitCode == 0 && errors.Count == 0, $"tshark exited {exitCode}: {string.Join(" / ", errors)}");
        Assert.DoesNotContain("Lua Error", output, StringComparison.Ordinal);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|'))];
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunToolAsync(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    private static void RequireTshark()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, "tshark")));
        if (found)
        {
            return;
        }

        const string Reason = "tshark is not installed (Debian: apt-get install tshark; .ci/run installs it)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(Reason);
        }

        Assert.Skip("Wireshark test NOT RUN: " + Reason);
    }

    private static string FindRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SafeWire.slnx")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException("The repository root (SafeWire.slnx) is not above the test assembly.");
    }
}
