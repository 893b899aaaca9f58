// An echo client over SafeWire: sends each message, checks that the same bytes come back.
//   EchoClient host port message...      (keys and the local CA: SAFEWIRE_HOME or ~/.safewire, shared with the server)
// Exit code 0 when every echo matched, 1 otherwise.
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using SafeWire.Identity;
using SafeWire.Transport;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: EchoClient host port message...");
    return 2;
}

string host = args[0];
int port = int.Parse(args[1], CultureInfo.InvariantCulture);
var home = SafeWireHome.Resolve(null);
using var credential = home.LoadOrCreateClientCredential("echo-client");

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
using var tcp = new TcpClient();
await tcp.ConnectAsync(host, port, timeout.Token);
await using var stream = new SecureStream(tcp.GetStream());
await stream.AuthenticateAsClientAsync(new SecureClientOptions
{
    ServerVerifier = home.CreateCaVerifier(),   // the server's certificate must come from this CA and name the host
    ServerName = host,
    ClientCredential = credential,              // the server asks for ours
}, timeout.Token);
Console.WriteLine($"connected to {stream.RemoteIdentity!.Name} ({stream.CipherSuite})");

int failures = 0;
foreach (string message in args[2..])
{
    byte[] sent = Encoding.UTF8.GetBytes(message);
    await stream.WriteAsync(sent, timeout.Token);
    byte[] echoed = new byte[sent.Length];
    await stream.ReadExactlyAsync(echoed, timeout.Token);
    bool same = echoed.AsSpan().SequenceEqual(sent);
    failures += same ? 0 : 1;
    Console.WriteLine($"{(same ? "echoed" : "MISMATCH")}: {Encoding.UTF8.GetString(echoed)}");
}

await stream.ShutdownAsync(timeout.Token);   // close_notify: the server sees a clean end of stream
return failures == 0 ? 0 : 1;
