using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Server;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Transport;
using Xunit;

namespace SafeWire.Cli.Tests.Ux;

/// <summary>
/// Fixes from a new user's first hour that had no test: the original design's <c>vote client ID N PORT</c>, <c>send</c>
/// without an acknowledgement, the <c>--verbose</c> handshake line naming the peer, and FTP log lines in plain words.
/// </summary>
public sealed class FirstHourRegressionTests
{
    /// <summary><c>vote client ID N PORT</c> finds ID.cred in the home and casts a ballot that the server counts.</summary>
    [Fact]
    public async Task VoteClientIdNPortCastsABallotThatIsCounted()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        Assert.Equal(0, (await InProcess.RunAsync("--home", home, "vote", "init", "town", "--candidates", "3", "--max-score", "5")).ExitCode);
        var register = await InProcess.RunAsync("--home", home, "vote", "register", "town", "--count", "1", "--out", Path.Combine(home, "voters"));
        Assert.True(register.ExitCode == 0, register.Output + register.Error);
        Assert.True(File.Exists(Path.Combine(home, "voters", "1.cred")));

        await using var server = InProcess.Start("--home", home, "vote", "serve", "town", "3", port); // the original design's ELECTION N PORT
        await server.WaitForAsync("serving election");

        var cast = await InProcess.RunAsync("--home", home, "vote", "client", "1", "3", port, "--ballot", "543");
        Assert.True(cast.ExitCode == 0, cast.Output + cast.Error);
        Assert.Contains("yes: ballot counted", cast.Output, StringComparison.Ordinal);
        await server.WaitForAsync("voter 1: counted");

        Assert.Equal(0, await server.InterruptAsync());
    }

    /// <summary>A server that reads the message but never acknowledges it: one line saying so, exit 5 (connection lost).</summary>
    [Fact]
    public async Task SendWithoutAnAcknowledgementSaysSoInOneLine()
    {
        using var dir = new TempDirectory();
        var home = new SafeWireHome(dir.Path);
        using var serverCredential = home.LoadOrCreateServerCredential("server", ["localhost"], [IPAddress.Loopback]);
        using var received = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        await using var server = new ChatServer(new ChatServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            Authenticator = new SecureStreamAuthenticator(new SecureServerOptions { ServerCredential = serverCredential }, client: null),
        });
        server.EventRaised += e =>
        {
            if (e is MessageReceived)
            {
                received.Set();
                release.Wait(TimeSpan.FromSeconds(60)); // holds the acknowledgement back until the client gave up
            }
        };
        server.Start();
        try
        {
            var send = await InProcess.RunAsync("--home", dir.Path, "send", $"127.0.0.1:{server.Port}", "hello", "--name", "alice", "--timeout", "0.5");
            Assert.True(received.IsSet, "the server did not get the message: " + send.Error);
            Assert.Equal(5, send.ExitCode);
            var line = Assert.Single(send.ErrorLines);
            Assert.Contains("did not acknowledge the message within 0.5 s", line, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary><c>serve --verbose</c> logs "Handshake with ... done; peer [NAME (]key SHA256:...", not an empty name.</summary>
    [Fact]
    public async Task VerboseHandshakeLineNamesThePeer()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);

        // The log goes to the process's standard error: a real process.
        await using var server = SafeWireProcess.Start(["--home", home, "serve", "--port", port, "--verbose"]);
        await server.WaitForOutputAsync("admin console", TimeSpan.FromSeconds(60));
        var send = await SafeWireProcess.RunAsync(["--home", home, "send", "127.0.0.1:" + port, "hello", "--name", "bob"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(send.ExitCode == 0, send.Output + send.Error);
        await server.WaitForOutputAsync("bob", TimeSpan.FromSeconds(60)); // the console shows bob's message, so the handshake is logged

        var handshake = server.Error.Split('\n').Where(l => l.Contains("Handshake with", StringComparison.Ordinal) && l.Contains("done; peer", StringComparison.Ordinal)).ToList();
        Assert.True(handshake.Count > 0, "no handshake line on standard error:\n" + server.Error);
        Assert.All(handshake, l => Assert.Matches(new Regex(@"done; peer (\S+ \()?key SHA256:[0-9A-Za-z+/=]{43}"), l)); // was "done; peer " and nothing
        await server.WriteLineAsync("stop");
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>A broken TLS handshake after AUTH TLS is logged in plain words, not ".NET's see inner exception".</summary>
    [Fact]
    public async Task FtpLogOfAFailedTlsHandshakeIsPlainWords()
    {
        using var dir = new TempDirectory();
        var root = Directory.CreateDirectory(dir["root"]).FullName;
        var port = FreePort.Next();
        await using var serve = InProcess.Start("--home", dir["home"], "ftp", "serve", "--root", root, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));
        await serve.WaitForAsync("Press Ctrl+C");

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            Assert.StartsWith("220", await reader.ReadLineAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
            await stream.WriteAsync("AUTH TLS\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.StartsWith("234", await reader.ReadLineAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

            // A TLS handshake record whose content is garbage: the TLS library fails inside, under an outer "see inner exception".
            byte[] record = [0x16, 0x03, 0x01, 0x00, 0x20, .. Enumerable.Repeat((byte)0xA5, 0x20)];
            await stream.WriteAsync(record, TestContext.Current.CancellationToken);
        }

        await serve.WaitForAsync("TLS handshake failed:");
        var line = serve.Output.Split('\n').Single(l => l.Contains("TLS handshake failed:", StringComparison.Ordinal));
        Assert.DoesNotContain("inner exception", line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(".NET", line, StringComparison.Ordinal);
        Assert.True(line.Trim().Length > line.IndexOf("failed:", StringComparison.Ordinal) + "failed:".Length, "no reason: " + line);

        Assert.Equal(0, await serve.InterruptAsync());
    }

    /// <summary>A wrong password is logged as one plain line (who, how many times, when to retry): no .NET exception text, no password.</summary>
    [Fact]
    public async Task FtpLogOfAWrongPasswordIsOnePlainLine()
    {
        using var dir = new TempDirectory();
        var root = Directory.CreateDirectory(dir["root"]).FullName;
        var users = dir["users"];
        var add = await InProcess.RunAsync(new StringReader("right-horse-battery\n"), "--home", dir["home"], "ftp", "user", "add", "alice", "--users", users, "--password-stdin");
        Assert.True(add.ExitCode == 0, add.Output + add.Error);
        var port = FreePort.Next();
        await using var serve = InProcess.Start("--home", dir["home"], "ftp", "serve", "--root", root, "--users", users, "--allow-plain", "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));
        await serve.WaitForAsync("Press Ctrl+C");

        using (var client = new TcpClient())
        {
            var ct = TestContext.Current.CancellationToken;
            await client.ConnectAsync(IPAddress.Loopback, port, ct);
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            Assert.StartsWith("220", await reader.ReadLineAsync(ct), StringComparison.Ordinal);
            await stream.WriteAsync("USER alice\r\n"u8.ToArray(), ct);
            Assert.StartsWith("331", await reader.ReadLineAsync(ct), StringComparison.Ordinal);
            await stream.WriteAsync("PASS wrong-guess-42\r\n"u8.ToArray(), ct);
            Assert.StartsWith("530", await reader.ReadLineAsync(ct), StringComparison.Ordinal);
        }

        await serve.WaitForAsync("failed login for alice");
        var lines = serve.Output.Split('\n').Where(l => l.Contains("login for", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.Matches(@"^\d\d:\d\d:\d\d \[\d+\] failed login for alice \(1\); next try from 127\.0\.0\.1 or for alice in \d+ s$", line.TrimEnd());
        Assert.DoesNotContain("wrong-guess-42", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", serve.Output + serve.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("inner exception", serve.Output + serve.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", serve.Output + serve.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("failed:", serve.Output, StringComparison.Ordinal); // no "session failed: ..." after it
        Assert.Empty(serve.Error);

        Assert.Equal(0, await serve.InterruptAsync());
    }
}
