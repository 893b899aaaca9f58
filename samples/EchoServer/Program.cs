// An echo server over SafeWire: whatever an authenticated client sends comes back to it.
//   EchoServer [port]      (port 0 picks a free one; the keys and the local CA live in SAFEWIRE_HOME or ~/.safewire)
// Only clients with a certificate from the same local CA get in (mutual authentication). Stops on Ctrl+C or SIGTERM.
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using SafeWire.Identity;
using SafeWire.Transport;

int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7000;
var home = SafeWireHome.Resolve(null);
using var credential = home.LoadOrCreateServerCredential("echo-server", ["localhost"], [IPAddress.Loopback]);
var options = new SecureServerOptions
{
    ServerCredential = credential,
    ClientVerifier = home.CreateCaVerifier(),
    RequireClientCredential = true,
};

using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, port), options);
listener.HandshakeFailed += (remote, error) => Console.Error.WriteLine($"refused {remote}: {error.Message}");
listener.Start();
Console.WriteLine($"listening on {listener.LocalEndPoint}");

var clients = new List<Task>();
try
{
    while (true)
    {
        var connection = await listener.AcceptAsync(stop.Token);
        clients.Add(EchoAsync(connection, stop.Token));
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    await Task.WhenAll(clients);
    Console.WriteLine("stopped");
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;   // shut down here, not by the runtime's default
    stop.Cancel();
}

static async Task EchoAsync(AcceptedConnection connection, CancellationToken cancellationToken)
{
    await using (connection)
    {
        var stream = connection.Stream;
        Console.WriteLine($"{stream.RemoteIdentity!.Name} connected from {connection.RemoteEndPoint}");
        try
        {
            await stream.CopyToAsync(stream, cancellationToken);   // a SecureStream reads and writes: echo to itself
            Console.WriteLine($"{stream.RemoteIdentity.Name} said goodbye");
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            Console.WriteLine($"{stream.RemoteIdentity.Name} left: {e.Message}");
        }
    }
}
