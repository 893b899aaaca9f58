using System.Net;
using System.Net.Sockets;
using System.Text;
using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>Password guessing across reconnects: backoff per address and per account, on a clock the test moves.</summary>
public sealed class LoginThrottleTests
{
    private static readonly TimeSpan s_backoff = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Reconnecting_does_not_reset_the_backoff_and_it_doubles()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = FtpTestServer.Start(allowPlain: true, loginBackoff: s_backoff, clock: clock);

        Assert.StartsWith("530 Login incorrect", await LoginAsync(server, FtpTestServer.Writer, "guess-1"), StringComparison.Ordinal);

        // A new connection, even with the right password, waits out the backoff: the password is not even checked.
        Assert.StartsWith("530 Too many failed logins", await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword), StringComparison.Ordinal);
        // The address is throttled for every account.
        Assert.StartsWith("530 Too many failed logins", await LoginAsync(server, FtpTestServer.Reader, FtpTestServer.ReaderPassword), StringComparison.Ordinal);

        clock.Advance(s_backoff + TimeSpan.FromSeconds(1));
        Assert.StartsWith("530 Login incorrect", await LoginAsync(server, FtpTestServer.Writer, "guess-2"), StringComparison.Ordinal);
        var refused = await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword);
        Assert.Contains("wait 120 s", refused, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        Assert.StartsWith("230 ", await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword), StringComparison.Ordinal);
        // Success starts afresh: one failure waits the base time again.
        Assert.StartsWith("530 Login incorrect", await LoginAsync(server, FtpTestServer.Writer, "guess-3"), StringComparison.Ordinal);
        Assert.Contains("wait 60 s", await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_account_is_throttled_from_other_addresses_too()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = FtpTestServer.Start(allowPlain: true, loginBackoff: s_backoff, clock: clock);

        Assert.StartsWith("530 Login incorrect", await LoginAsync(server, FtpTestServer.Writer, "guess-1", from: IPAddress.Parse("127.0.0.2")), StringComparison.Ordinal);

        Assert.StartsWith("530 Too many failed logins", await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword, from: IPAddress.Parse("127.0.0.3")), StringComparison.Ordinal);
        // Another account from a clean address is not affected.
        Assert.StartsWith("230 ", await LoginAsync(server, FtpTestServer.Reader, FtpTestServer.ReaderPassword, from: IPAddress.Parse("127.0.0.4")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flood_of_wrong_passwords_does_not_lock_out_an_address_that_logged_in_before()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = FtpTestServer.Start(allowPlain: true, loginBackoff: s_backoff, clock: clock);
        var home = IPAddress.Parse("127.0.0.5");
        Assert.StartsWith("230 ", await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword, from: home), StringComparison.Ordinal);

        // Guesses for the same name from elsewhere throttle the name for every other address...
        Assert.StartsWith("530 Login incorrect", await LoginAsync(server, FtpTestServer.Writer, "guess-1", from: IPAddress.Parse("127.0.0.2")), StringComparison.Ordinal);
        Assert.StartsWith("530 Too many failed logins", await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword, from: IPAddress.Parse("127.0.0.3")), StringComparison.Ordinal);

        // ...but not for the address its user logged in from.
        Assert.StartsWith("230 ", await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword, from: home), StringComparison.Ordinal);
        Assert.StartsWith("530 Login incorrect", await LoginAsync(server, FtpTestServer.Writer, "guess-2", from: IPAddress.Parse("127.0.0.4")), StringComparison.Ordinal);
        Assert.StartsWith("230 ", await LoginAsync(server, FtpTestServer.Writer, FtpTestServer.WriterPassword, from: home), StringComparison.Ordinal);

        // Familiar means for that name only: another name from the same address is throttled by its own failures.
        Assert.StartsWith("530 Login incorrect", await LoginAsync(server, FtpTestServer.Reader, "guess-3", from: IPAddress.Parse("127.0.0.6")), StringComparison.Ordinal);
        Assert.StartsWith("530 Too many failed logins", await LoginAsync(server, FtpTestServer.Reader, FtpTestServer.ReaderPassword, from: home), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_user_gets_the_same_replies_as_a_wrong_password()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = FtpTestServer.Start(allowPlain: true, loginBackoff: s_backoff, clock: clock);

        var known = await LoginAsync(server, FtpTestServer.Writer, "wrong", from: IPAddress.Parse("127.0.0.5"));
        var unknown = await LoginAsync(server, "mallory", "wrong", from: IPAddress.Parse("127.0.0.6"));
        var knownAgain = await LoginAsync(server, FtpTestServer.Writer, "wrong", from: IPAddress.Parse("127.0.0.7"));
        var unknownAgain = await LoginAsync(server, "mallory", "wrong", from: IPAddress.Parse("127.0.0.8"));

        Assert.Equal(known, unknown);
        Assert.Equal(knownAgain, unknownAgain);
        Assert.StartsWith("530 Too many failed logins", unknownAgain, StringComparison.Ordinal);
    }

    /// <summary>One connection (plain FTP, from <paramref name="from"/>): USER, PASS; returns the PASS reply.</summary>
    private static async Task<string> LoginAsync(FtpTestServer server, string user, string password, IPAddress? from = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from ?? IPAddress.Loopback, 0));
        await socket.ConnectAsync(IPAddress.Loopback, server.Port, TestContext.Current.CancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        async Task<string> Reply() => await reader.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken) ?? "";
        async Task<string> Command(string line)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), TestContext.Current.CancellationToken);
            return await Reply();
        }

        Assert.StartsWith("220 ", await Reply(), StringComparison.Ordinal);
        Assert.StartsWith("331 ", await Command("USER " + user), StringComparison.Ordinal);
        var reply = await Command("PASS " + password);
        await Command("QUIT");
        return reply;
    }
}
