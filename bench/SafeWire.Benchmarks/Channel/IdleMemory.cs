using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Benchmarks.Channel;

/// <summary>
/// Server memory per idle authenticated connection. The clients run in a child process (this executable in
/// "idle-clients" mode) so only the server's memory is measured here. Each accepted connection is authenticated,
/// carries one byte each way, and then waits in a pending 1-byte ReadAsync, as an idle server connection does.
/// Measured between a first batch (a quarter of the connections, which pays one-time costs: JIT, pools, caches,
/// thread-pool growth) and the full count:
/// per connection = (memory after all − memory after the first batch) / (connections in the second batch).
/// </summary>
internal static class IdleMemory
{
    public const string ChildMode = "idle-clients";
    private const int FirstBatchShare = 4;
    private const int ClientConcurrency = 4;

    public readonly record struct Result(double ManagedBytesPerConnection, int Connections);

    public static async Task<Result> MeasureAsync(Contenders contenders, BenchCertificates certificates, Contender contender, int connections)
    {
        string rootPath = Path.Combine(Path.GetTempPath(), $"safewire-bench-root-{Environment.ProcessId}.der");
        await File.WriteAllBytesAsync(rootPath, certificates.Root.RawData);
        using var listener = Contenders.Listen();
        using var stop = new CancellationTokenSource();
        var idle = new ConcurrentBag<(Stream Stream, Task<int> PendingRead)>();
        long accepted = 0;
        long failed = 0;
        var acceptLoop = Contenders.AcceptEachAsync(listener, async socket =>
        {
            try
            {
                var stream = await contenders.AuthenticateServerAsync(contender, socket, resumption: false, stop.Token);
                await AnswerOneAsync(stream);
                idle.Add((stream, stream.ReadAsync(new byte[1]).AsTask()));
                Interlocked.Increment(ref accepted);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                Interlocked.Increment(ref failed);
                socket.Dispose();
            }
        }, stop.Token);

        using var child = StartChild(contender, ((IPEndPoint)listener.LocalEndpoint).Port, connections, rootPath);
        try
        {
            await ExpectLineAsync(child, "first");
            await WaitForAsync(() => Interlocked.Read(ref accepted) + Interlocked.Read(ref failed) >= FirstBatch(connections));
            long managed0 = Snapshot();
            await child.StandardInput.WriteLineAsync("go");
            await child.StandardInput.FlushAsync();
            await ExpectLineAsync(child, "done");
            await WaitForAsync(() => Interlocked.Read(ref accepted) + Interlocked.Read(ref failed) >= connections);
            long managed1 = Snapshot();
            if (Interlocked.Read(ref failed) != 0)
            {
                throw new InvalidOperationException($"{failed} server handshakes failed.");
            }

            int measured = connections - FirstBatch(connections);
            return new Result((managed1 - managed0) / (double)measured, connections);
        }
        finally
        {
            child.StandardInput.Close();
            await child.WaitForExitAsync();
            stop.Cancel();
            listener.Stop();
            await acceptLoop;
            foreach (var (stream, pending) in idle)
            {
                await stream.DisposeAsync();
                try
                {
                    await pending;
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
                {
                    // The connection is gone: that is how an idle read ends here.
                }
            }

            File.Delete(rootPath);
        }
    }

    /// <summary>
    /// A second view, all in this process: the server streams (each with a pending 1-byte read) are kept, of the
    /// client side only the socket is kept (its stream objects are dropped, unclosed), so the delta is the server's
    /// stream stack plus one client socket; the plain-socket row shows what the sockets alone cost.
    /// </summary>
    public static async Task<double> MeasureInProcessAsync(Contenders contenders, Contender contender, int connections)
    {
        using var listener = Contenders.Listen();
        var kept = new List<object>();
        await OpenPairsAsync(contenders, contender, listener, connections / FirstBatchShare, kept);
        long managed0 = Snapshot();
        int measured = connections - (connections / FirstBatchShare);
        await OpenPairsAsync(contenders, contender, listener, measured, kept);
        long managed1 = Snapshot();
        foreach (var item in kept)
        {
            switch (item)
            {
                case Stream stream:
                    await stream.DisposeAsync();
                    break;
                case System.Net.Sockets.Socket socket:
                    socket.Dispose();
                    break;
            }
        }

        foreach (var pending in kept.OfType<Task<int>>())
        {
            try
            {
                await pending;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The connection is gone: that is how an idle read ends here.
            }
        }

        return (managed1 - managed0) / (double)measured;
    }

    private static async Task OpenPairsAsync(Contenders contenders, Contender contender, System.Net.Sockets.TcpListener listener, int count, List<object> kept)
    {
        for (int i = 0; i < count; i++)
        {
            var (clientSocket, serverSocket) = await Contenders.ConnectPairAsync(listener);
            var serverTask = contenders.AuthenticateServerAsync(contender, serverSocket, resumption: false, CancellationToken.None);
            var client = await contenders.AuthenticateClientAsync(contender, clientSocket, resumption: false, null, CancellationToken.None);
            var server = await serverTask;
            await Task.WhenAll(AskOneAsync(client), AnswerOneAsync(server));
            GC.KeepAlive(client);
            kept.Add(clientSocket);
            kept.Add(server);
            kept.Add(server.ReadAsync(new byte[1]).AsTask());
        }
    }

    /// <summary>The child: opens <c>connections</c> authenticated client connections in two batches and keeps them idle.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var contender = Contenders.Parse(args[0]);
        int port = int.Parse(args[1], CultureInfo.InvariantCulture);
        int connections = int.Parse(args[2], CultureInfo.InvariantCulture);
        using var root = X509CertificateLoader.LoadCertificateFromFile(args[3]);
        using var contenders = new Contenders(root);
        var open = new ConcurrentBag<Stream>();
        await OpenAsync(contenders, contender, port, FirstBatch(connections), open);
        Console.WriteLine("first");
        if (Console.ReadLine() != "go")
        {
            return 1;
        }

        await OpenAsync(contenders, contender, port, connections - FirstBatch(connections), open);
        Console.WriteLine("done");
        while (Console.ReadLine() is not null)
        {
            // Keep the connections open until the parent closes our stdin.
        }

        foreach (var stream in open)
        {
            await stream.DisposeAsync();
        }

        return 0;
    }

    // Each connection exchanges one byte each way before it idles, as an idle connection that has been used does:
    // a server that has read data may leave state behind (a stale socket readiness once made SecureStream hold its
    // 64 KiB receive buffer on 70% of such connections; connections that never carried data did not show it).
    private static async Task AskOneAsync(Stream client)
    {
        await client.WriteAsync(new byte[] { 1 });
        await client.FlushAsync();
        await client.ReadExactlyAsync(new byte[1]);
    }

    private static async Task AnswerOneAsync(Stream server)
    {
        var one = new byte[1];
        await server.ReadExactlyAsync(one);
        await server.WriteAsync(one);
        await server.FlushAsync();
    }

    /// <summary>The first quarter pays the one-time costs (JIT, pools, caches, thread-pool growth); the rest is measured.</summary>
    private static int FirstBatch(int connections) => connections / FirstBatchShare;

    private static async Task OpenAsync(Contenders contenders, Contender contender, int port, int count, ConcurrentBag<Stream> open)
    {
        int next = 0;
        var workers = Enumerable.Range(0, ClientConcurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                var socket = Contenders.NewSocket();
                await socket.ConnectAsync(IPAddress.Loopback, port);
                var stream = await contenders.AuthenticateClientAsync(contender, socket, resumption: false, null, CancellationToken.None);
                await AskOneAsync(stream);
                open.Add(stream);
            }
        }));
        await Task.WhenAll(workers);
    }

    private static Process StartChild(Contender contender, int port, int connections, string rootPath)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(IdleMemory).Assembly.Location);
        }

        foreach (var arg in new[] { ChildMode, contender.ToString(), port.ToString(CultureInfo.InvariantCulture), connections.ToString(CultureInfo.InvariantCulture), rootPath })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the client process.");
    }

    private static async Task ExpectLineAsync(Process child, string expected)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var line = await child.StandardOutput.ReadLineAsync(timeout.Token);
        if (line != expected)
        {
            throw new InvalidOperationException($"The client process said \"{line}\", expected \"{expected}\".");
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException("The server did not finish its handshakes.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Live managed bytes after full, compacting collections. (The resident set is not used: after a compacting GC it can shrink, which made its deltas meaningless.)</summary>
    private static long Snapshot()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
