// Plays one example session on 127.0.0.1 with a chosen cipher suite and writes the client's key log, like
// `safewire trace --keylog` does:
//   ExampleCaptures chat  SUITE PORT KEYLOG   a chat server; alice and bob join, talk, ask who is here, and leave
//   ExampleCaptures files SUITE PORT KEYLOG   a file server; a client uploads hello.txt, lists /, downloads it again
// SUITE: aes-gcm | chacha20 | cbc-hmac (client and server both allow only that suite). The messages are fixed: the
// tests look for them in the decrypted captures.
using System.Net;
using System.Text;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Chat.Server;
using SafeWire.Files.Transfer;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Transport;

if (args.Length != 4 || !int.TryParse(args[2], out var port))
{
    await Console.Error.WriteLineAsync("usage: ExampleCaptures chat|files aes-gcm|chacha20|cbc-hmac PORT KEYLOG");
    return 2;
}

var (suite, suiteName) = args[1] switch
{
    "aes-gcm" => (CipherSuite.Aes256Gcm, "AES-256-GCM"),
    "chacha20" => (CipherSuite.ChaCha20Poly1305, "ChaCha20-Poly1305"),
    "cbc-hmac" => (CipherSuite.Aes256CbcHmacSha256, "AES-256-CBC + HMAC-SHA256"),
    _ => throw new ArgumentException($"unknown suite {args[1]}"),
};
var keyLog = new KeyLogWriter(Path.GetFullPath(args[3]));
var work = Directory.CreateTempSubdirectory("safewire-examples-");
try
{
    var home = new SafeWireHome(Path.Combine(work.FullName, "home"));
    using var serverCredential = home.LoadOrCreateServerCredential("server", ["localhost"], [IPAddress.Loopback]);
    var serverOptions = new SecureServerOptions { ServerCredential = serverCredential, CipherSuites = [suite] };
    SecureClientOptions ClientOptions(LocalCredential credential) => new()
    {
        ServerVerifier = home.CreateCaVerifier(),
        ServerName = "localhost",
        ClientCredential = credential,
        CipherSuites = [suite],
        Observer = keyLog,
    };

    if (args[0] == "chat")
    {
        serverOptions.ClientVerifier = new OpenAdmissionVerifier();
        await using var server = new ChatServer(new ChatServerOptions
        {
            Address = IPAddress.Loopback,
            Port = port,
            ServerName = "example",
            Authenticator = new SecureStreamAuthenticator(serverOptions, client: null),
        });
        server.Start();
        using var aliceKey = home.LoadOrCreateClientCredential("alice");
        using var bobKey = home.LoadOrCreateClientCredential("bob");
        await using var alice = await ChatClient.ConnectAsync("127.0.0.1", port, new ChatClientOptions { Name = "alice", Authenticator = new SecureStreamAuthenticator(null, ClientOptions(aliceKey)) });
        await using var bob = await ChatClient.ConnectAsync("127.0.0.1", port, new ChatClientOptions { Name = "bob", Authenticator = new SecureStreamAuthenticator(null, ClientOptions(bobKey)) });
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.MessageReceived += message =>
        {
            if (message is SafeWire.Chat.Wire.RelayedMessage relayed)
            {
                heard.TrySetResult(relayed.Text);
            }
        };
        var aliceRun = alice.RunAsync();
        var bobRun = bob.RunAsync();
        await alice.SendAsync($"Hello Bob, this line travels under {suiteName}.");
        await heard.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await bob.SendAsync("Hi Alice, received loud and clear.");
        await alice.WhoAsync();
        await bob.QuitAsync();
        await alice.QuitAsync();
        await Task.WhenAll(aliceRun, bobRun).WaitAsync(TimeSpan.FromSeconds(30));
        await server.StopAsync();
    }
    else
    {
        var root = Directory.CreateDirectory(Path.Combine(work.FullName, "root"));
        serverOptions.ClientVerifier = home.CreateCaVerifier();
        serverOptions.RequireClientCredential = true;
        await using var server = new FileServerHost(new FileServerOptions { Root = root.FullName }, serverOptions, new IPEndPoint(IPAddress.Loopback, port));
        server.Start();
        using var carolKey = home.LoadOrCreateClientCredential("carol");
        var local = Path.Combine(work.FullName, "hello.txt");
        await File.WriteAllTextAsync(local, "SafeWire file transfer example: these bytes travel encrypted.\n", Encoding.UTF8);
        await using (var client = await FileServerHost.ConnectAsync("127.0.0.1", port, ClientOptions(carolKey)))
        {
            await client.PutAsync(local, "/hello.txt");
            await client.ListAsync("/");
            await client.GetAsync("/hello.txt", Path.Combine(work.FullName, "hello-again.txt"));
        }
    }

    Console.WriteLine($"{args[0]} session with {suite} on 127.0.0.1:{port} done; key log: {args[3]}");
    return 0;
}
finally
{
    work.Delete(recursive: true);
}

/// <summary>Appends each session's secrets in the NSS key log format, as <c>safewire trace --keylog</c> does.</summary>
internal sealed class KeyLogWriter(string path) : IHandshakeObserver
{
    private readonly Lock _gate = new();

    public void OnHandshakeMessage(bool sent, string type, ReadOnlySpan<byte> message)
    {
    }

    public void OnSecret(string label, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> secret)
    {
        var line = $"{label} {Convert.ToHexStringLower(clientRandom)} {Convert.ToHexStringLower(secret)}\n";
        lock (_gate)
        {
            var header = File.Exists(path) ? string.Empty : "# SafeWire key log: NSS key log format (LABEL CLIENT_RANDOM SECRET, hex)\n";
            File.AppendAllText(path, header + line, Encoding.ASCII);
        }
    }
}
