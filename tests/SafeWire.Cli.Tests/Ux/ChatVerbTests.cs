using System.Net;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Chat.Server;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Transport;
using Xunit;

namespace SafeWire.Cli.Tests.Ux;

/// <summary>serve / chat / send / trace in process: the original design's <c>chat HOST PORT</c>, <c>--suite</c>, quitting after the server left.</summary>
public sealed class ChatVerbTests
{
    [Fact]
    public async Task SuiteIsChosenByTheClientAndRestrictedByTheServer()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var server = InProcess.Start("--home", dir["srv"], "serve", "--port", port, "--suite", "cbc-hmac,chacha20");
        try
        {
            await server.WaitForAsync("admin console");

            // The original design's form: chat HOST PORT; alice stays connected while the admin lists the clients.
            var chat = InProcess.Start("--home", dir["cli"], "chat", "127.0.0.1", port, "--name", "alice", "--suite", "cbc-hmac", "--trust-on-first-use");
            await chat.WaitForAsync("suite Aes256CbcHmacSha256");
            await server.WaitForAsync("alice joined");
            server.Input.WriteLine("list");
            await server.WaitForAsync("list full shows whole key fingerprints");
            Assert.Contains("cbc-hmac", server.Output, StringComparison.Ordinal); // the list table's suite column
            chat.Input.Close(); // end of input leaves
            Assert.Equal(0, await chat.Exit.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));

            var send = await InProcess.RunAsync("--home", dir["cli"], "send", $"127.0.0.1:{port}", "hello", "--name", "bob", "--suite", "chacha20", "--trust-on-first-use");
            Assert.True(send.ExitCode == 0, send.Output + send.Error);

            var refused = await InProcess.RunAsync("--home", dir["cli"], "send", $"127.0.0.1:{port}", "hello", "--name", "bob", "--suite", "aes-gcm", "--trust-on-first-use");
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("accepts none of the cipher suites offered", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);

            var trace = await InProcess.RunAsync("--home", dir["cli"], "trace", $"127.0.0.1:{port}", "--name", "carol", "--suite", "chacha20", "--trust-on-first-use");
            Assert.True(trace.ExitCode == 0, trace.Error);
            Assert.Contains("established: suite ChaCha20Poly1305", trace.Output, StringComparison.Ordinal);

            server.Input.WriteLine("stop");
            Assert.Equal(0, await server.Exit.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        }
        finally
        {
            server.Input.Close();
        }

    }

    [Fact]
    public async Task ChatHostPortRejectsTwoPorts()
    {
        var run = await InProcess.RunAsync("chat", "127.0.0.1:5", "6");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("give the server as HOST:PORT or as HOST PORT", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    /// <summary>
    /// trace's NullReferenceException: when the server closed first, the client's read loop disposed the TcpClient,
    /// and QuitAsync then called Shutdown on its (null) socket.
    /// </summary>
    [Fact]
    public async Task QuitAfterTheServerClosedDoesNotThrow()
    {
        using var dir = new TempDirectory();
        var home = new SafeWireHome(dir.Path);
        using var serverCredential = home.LoadOrCreateServerCredential("server", ["localhost"], [IPAddress.Loopback]);
        using var clientCredential = home.LoadOrCreateClientCredential("alice");
        await using var server = new ChatServer(new ChatServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            Authenticator = new SecureStreamAuthenticator(new SecureServerOptions { ServerCredential = serverCredential }, client: null),
        });
        server.Start();
        await using var client = await ChatClient.ConnectAsync("127.0.0.1", server.Port, new ChatClientOptions
        {
            Name = "alice",
            Authenticator = new SecureStreamAuthenticator(null, new SecureClientOptions { ServerVerifier = home.CreateCaVerifier(), ClientCredential = clientCredential }),
        }, TestContext.Current.CancellationToken);
        var run = client.RunAsync(TestContext.Current.CancellationToken);
        await server.StopAsync("bye", TestContext.Current.CancellationToken);
        await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken); // the read loop ended and closed the connection
        await client.QuitAsync(TestContext.Current.CancellationToken); // threw NullReferenceException
    }
}
