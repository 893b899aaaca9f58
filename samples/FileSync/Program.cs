// Mirrors a directory from one machine to another over SafeWire, embedding the SafeWire.Files library.
//   FileSync serve DIRECTORY [port]        share DIRECTORY read-only (port 0 picks a free one); stops on Ctrl+C/SIGTERM
//   FileSync pull HOST PORT DIRECTORY      copy the shared tree into DIRECTORY (resumes, checks SHA-256 of each file)
// Both sides take their keys and the local CA from SAFEWIRE_HOME or ~/.safewire; only its certificates get in.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SafeWire.Files.Transfer;
using SafeWire.Identity;
using SafeWire.Transport;

var home = SafeWireHome.Resolve(null);
switch (args)
{
    case ["serve", var directory, ..]:
        await ServeAsync(home, Path.GetFullPath(directory), args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7001);
        return 0;
    case ["pull", var host, var port, var directory]:
        await PullAsync(home, host, int.Parse(port, CultureInfo.InvariantCulture), directory);
        return 0;
    default:
        Console.Error.WriteLine("usage: FileSync serve DIRECTORY [port] | FileSync pull HOST PORT DIRECTORY");
        return 2;
}

static async Task ServeAsync(SafeWireHome home, string root, int port)
{
    using var credential = home.LoadOrCreateServerCredential("filesync", ["localhost"], [IPAddress.Loopback]);
    var options = new SecureServerOptions
    {
        ServerCredential = credential,
        ClientVerifier = home.CreateCaVerifier(),
        RequireClientCredential = true,
    };
    var files = new FileServer(new FileServerOptions { Root = root, ReadOnly = true, Log = Console.WriteLine });

    using var stop = new CancellationTokenSource();
    Action<PosixSignalContext> onSignal = context =>
    {
        context.Cancel = true;
        stop.Cancel();
    };
    using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, onSignal);
    using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);

    await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, port), options);
    listener.Start();
    Console.WriteLine($"sharing {root} on {listener.LocalEndPoint}");
    var sessions = new List<Task>();
    try
    {
        while (true)
        {
            var connection = await listener.AcceptAsync(stop.Token);
            sessions.Add(ServeOneAsync(files, connection, stop.Token));
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        await Task.WhenAll(sessions);
        Console.WriteLine("stopped");
    }
}

static async Task ServeOneAsync(FileServer files, AcceptedConnection connection, CancellationToken cancellationToken)
{
    await using (connection)
    {
        try
        {
            // The server decides per peer: here every certificate from the CA may read.
            await files.ServeAsync(connection.Stream, connection.Stream.RemoteIdentity, cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            Console.WriteLine($"{connection.Stream.RemoteIdentity!.Name}: {e.Message}");
        }
    }
}

static async Task PullAsync(SafeWireHome home, string host, int port, string directory)
{
    using var credential = home.LoadOrCreateClientCredential("filesync-client");
    using var tcp = new TcpClient();
    await tcp.ConnectAsync(host, port);
    var stream = new SecureStream(tcp.GetStream());
    await stream.AuthenticateAsClientAsync(new SecureClientOptions
    {
        ServerVerifier = home.CreateCaVerifier(),
        ServerName = host,
        ClientCredential = credential,
    });
    await using var files = new FileClient(stream);   // owns the stream from here on
    var progress = new Progress<TransferProgress>();
    var copied = await files.GetTreeAsync("/", directory, progress);
    foreach (var file in copied)
    {
        Console.WriteLine($"{file.Path}  {file.Size} bytes  sha256 {file.Sha256}");
    }

    Console.WriteLine($"pulled {copied.Count} files into {Path.GetFullPath(directory)}");
}
