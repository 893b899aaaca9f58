using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Chat.Server;
using SafeWire.Chat.Wire;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Benchmarks.Chat;

/// <summary>
/// End-to-end load runs of the chat server over SafeWire on loopback (not BenchmarkDotNet: these are whole-system runs).
/// The server runs in a child process so its memory is measured alone.
/// <code>
/// dotnet run -c Release --project bench/SafeWire.Benchmarks -- chat-load [--clients 1000] [--messages 100] [--listeners 10]
/// dotnet run -c Release --project bench/SafeWire.Benchmarks -- chat-idle [--clients 10000]
/// </code>
/// chat-load: CLIENTS send-only clients each send MESSAGES chat lines (each awaits its ack before the next);
/// LISTENERS ordinary clients receive every relayed line. Reported: messages/s, ack latency (client → server →
/// client) and delivery latency (sender → server → listener) p50/p99, server memory, and whether every listener
/// got every message exactly once. chat-idle: server memory per idle connected client.
/// </summary>
internal static class ChatLoadRun
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.Length == 0 || args[0] is not ("chat-load" or "chat-idle" or "chat-server"))
        {
            return false;
        }

        exitCode = args[0] switch
        {
            "chat-server" => ServerProcess.Run(),
            "chat-load" => LoadAsync(Option(args, "--clients", 1000), Option(args, "--messages", 100), Option(args, "--listeners", 10)).GetAwaiter().GetResult(),
            _ => IdleAsync(Option(args, "--clients", 10_000)).GetAwaiter().GetResult(),
        };
        return true;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static async Task<int> LoadAsync(int senders, int messages, int listeners)
    {
        using var pki = new ClientPki();
        await using var server = await ServerProcess.StartAsync();
        var before = await server.MemoryAsync();
        Console.WriteLine($"chat-load: {senders} senders x {messages} messages, {listeners} listeners, server pid {server.Pid}");

        var seen = new ConcurrentDictionary<long, int>();
        var delivery = new ConcurrentBag<double>();
        var listenerClients = new List<ChatClient>();
        var received = 0L;
        for (var i = 0; i < listeners; i++)
        {
            var client = await ChatClient.ConnectAsync("127.0.0.1", server.Port, pki.Options($"listener{i}", sendOnly: false));
            client.MessageReceived += m =>
            {
                if (m is RelayedMessage relayed)
                {
                    var parts = relayed.Text.Split(':');
                    var key = (long.Parse(parts[0], CultureInfo.InvariantCulture) << 32) | long.Parse(parts[1], CultureInfo.InvariantCulture);
                    seen.AddOrUpdate(key, 1, (_, n) => n + 1);
                    delivery.Add(Stopwatch.GetElapsedTime(long.Parse(parts[2], CultureInfo.InvariantCulture)).TotalMilliseconds);
                    Interlocked.Increment(ref received);
                }
            };
            _ = client.RunAsync();
            listenerClients.Add(client);
        }

        var connectWatch = Stopwatch.StartNew();
        var (clients, runs) = await ConnectManyAsync(senders, i => pki.Options($"sender{i}", sendOnly: true), server.Port);
        Console.WriteLine($"connected {senders} senders in {connectWatch.Elapsed.TotalSeconds:F1} s ({senders / connectWatch.Elapsed.TotalSeconds:F0} handshakes/s incl. join)");

        var acks = new ConcurrentBag<double>();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, index) => Task.Run(async () =>
        {
            for (var seq = 0; seq < messages; seq++)
            {
                var start = Stopwatch.GetTimestamp();
                var ack = await client.SendAsync($"{index}:{seq}:{start}");
                acks.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (ack.DeliveredTo != listeners)
                {
                    throw new InvalidOperationException($"message relayed to {ack.DeliveredTo}, expected {listeners}");
                }
            }
        })));
        var sent = watch.Elapsed;
        var expected = (long)senders * messages * listeners;
        var deadline = Stopwatch.StartNew();
        while (Interlocked.Read(ref received) < expected && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(10);
        }

        var total = watch.Elapsed;
        var during = await server.MemoryAsync();
        var duplicates = seen.Values.Count(n => n > listeners);
        var lost = (long)senders * messages - seen.Count(kv => kv.Value == listeners);
        Console.WriteLine($"sent {senders * messages:N0} messages in {sent.TotalSeconds:F2} s: {senders * messages / sent.TotalSeconds:N0} messages/s into the server");
        Console.WriteLine($"delivered {Interlocked.Read(ref received):N0} of {expected:N0} relays in {total.TotalSeconds:F2} s: {Interlocked.Read(ref received) / total.TotalSeconds:N0} deliveries/s");
        Console.WriteLine($"ack latency      p50 {Percentile(acks, 0.50):F2} ms  p99 {Percentile(acks, 0.99):F2} ms");
        Console.WriteLine($"delivery latency p50 {Percentile(delivery, 0.50):F2} ms  p99 {Percentile(delivery, 0.99):F2} ms");
        Console.WriteLine($"lost {lost}, duplicated {duplicates}");
        Console.WriteLine($"server memory: before {before}, with {senders + listeners} clients after the run {during}");

        foreach (var client in clients.Concat(listenerClients))
        {
            await client.QuitAsync();
            await client.DisposeAsync();
        }

        await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(30));
        return lost == 0 && duplicates == 0 ? 0 : 1;
    }

    /// <summary>
    /// Whole-server managed heap (after a full compacting collection) and RSS, before, with half and with all the
    /// clients connected and idle. The delta divided by the count includes the server's fixed costs (thread pool,
    /// pooled arrays); the slope between half and all is the cost of one more idle connection alone.
    /// </summary>
    private static async Task<int> IdleAsync(int count)
    {
        using var pki = new ClientPki();
        await using var server = await ServerProcess.StartAsync();
        var before = await server.MemoryAsync();
        var watch = Stopwatch.StartNew();
        var half = count / 2;
        var (clients, runs) = await ConnectManyAsync(half, i => pki.Options($"idle{i}", sendOnly: true), server.Port);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var atHalf = await server.MemoryAsync();
        var (more, moreRuns) = await ConnectManyAsync(count - half, i => pki.Options($"idle{half + i}", sendOnly: true), server.Port);
        clients.AddRange(more);
        runs.AddRange(moreRuns);
        Console.WriteLine($"chat-idle: {count} clients connected in {watch.Elapsed.TotalSeconds:F1} s");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var after = await server.MemoryAsync();
        Console.WriteLine($"server memory: before {before}; with {half} idle clients {atHalf}; with {count} {after}");
        Console.WriteLine($"per connection (whole server / {count}): managed heap {(after.Heap - before.Heap) / count / 1024.0:F2} KiB, RSS {(after.Rss - before.Rss) / count / 1024.0:F2} KiB");
        Console.WriteLine($"per connection (from {half} to {count} clients): managed heap {(after.Heap - atHalf.Heap) / (double)(count - half) / 1024.0:F2} KiB, RSS {(after.Rss - atHalf.Rss) / (double)(count - half) / 1024.0:F2} KiB");
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60));
        return 0;
    }

    /// <summary>Connects COUNT clients, 32 handshakes at a time; each starts reading as soon as it is in.</summary>
    private static async Task<(List<ChatClient> Clients, List<Task<ClientExit>> Runs)> ConnectManyAsync(int count, Func<int, ChatClientOptions> options, int port)
    {
        var clients = new ChatClient[count];
        var runs = new Task<ClientExit>[count];
        var connected = 0;
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                try
                {
                    clients[i] = await ChatClient.ConnectAsync("127.0.0.1", port, options(i));
                }
                catch (IOException e)
                {
                    Console.Error.WriteLine($"client {i} (after {Volatile.Read(ref connected)} connected): {e.Message}");
                    throw;
                }

                Interlocked.Increment(ref connected);
                runs[i] = clients[i].RunAsync();
            }
            finally
            {
                gate.Release();
            }
        }));
        return ([.. clients], [.. runs]);
    }

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    /// <summary>One client key and certificate shared by every simulated client (the server admits all keys).</summary>
    private sealed class ClientPki : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("safewire-bench-client-").FullName;
        private readonly LocalCredential _credential;
        private readonly KnownHostsVerifier _trust;

        public ClientPki()
        {
            var home = new SafeWireHome(_root);
            _credential = home.LoadOrCreateClientCredential("bench");
            _trust = home.CreateKnownHostsVerifier();
        }

        public ChatClientOptions Options(string name, bool sendOnly) => new()
        {
            Name = name,
            SendOnly = sendOnly,
            ConnectTimeout = TimeSpan.FromSeconds(120),
            Authenticator = new SecureStreamAuthenticator(null, new SecureClientOptions
            {
                ServerVerifier = _trust,
                ClientCredential = _credential,
                HandshakeTimeout = TimeSpan.FromSeconds(120),
            }),
        };

        public void Dispose()
        {
            _credential.Dispose();
            Directory.Delete(_root, recursive: true);
        }
    }

    internal readonly record struct Memory(long Heap, long Rss)
    {
        public override string ToString() => $"heap {Heap / 1048576.0:F1} MiB, RSS {Rss / 1048576.0:F1} MiB";
    }

    /// <summary>The server alone in a child process: prints "ready PORT"; answers "mem" with its heap and RSS; exits on "stop".</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private ServerProcess(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public int Pid => _process.Id;

        public static async Task<ServerProcess> StartAsync()
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            var entry = Environment.GetCommandLineArgs()[0];
            // Under the dotnet host the entry assembly is the first argument; the apphost (dotnet run) needs none.
            if (entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                && Path.GetFileNameWithoutExtension(Environment.ProcessPath!).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                info.ArgumentList.Add(entry);
            }

            info.ArgumentList.Add("chat-server");
            var process = Process.Start(info)!;
            var ready = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("server child exited");
            return new ServerProcess(process, int.Parse(ready.Split(' ')[1], CultureInfo.InvariantCulture));
        }

        public async Task<Memory> MemoryAsync()
        {
            await _process.StandardInput.WriteLineAsync("mem");
            await _process.StandardInput.FlushAsync();
            var line = (await _process.StandardOutput.ReadLineAsync())!.Split(' ');
            return new Memory(long.Parse(line[1], CultureInfo.InvariantCulture), long.Parse(line[3], CultureInfo.InvariantCulture));
        }

        public async ValueTask DisposeAsync()
        {
            await _process.StandardInput.WriteLineAsync("stop");
            await _process.StandardInput.FlushAsync();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            _process.Dispose();
        }

        public static int Run()
        {
            var root = Directory.CreateTempSubdirectory("safewire-bench-server-").FullName;
            try
            {
                var home = new SafeWireHome(root);
                using var credential = home.LoadOrCreateServerCredential("server", ["localhost"], [IPAddress.Loopback]);
                var server = new ChatServer(new ChatServerOptions
                {
                    Address = IPAddress.Loopback,
                    Port = 0,
                    MaxClients = 100_000,
                    MaxQueuedFrames = 65_536, // listeners in the same 2-core box as 1,000 senders lag; the default (1,024) drops them as too slow
                    HandshakeTimeout = TimeSpan.FromSeconds(120),
                    Authenticator = new SecureStreamAuthenticator(
                        new SecureServerOptions { ServerCredential = credential, ClientVerifier = new OpenAdmissionVerifier(), HandshakeTimeout = TimeSpan.FromSeconds(120) },
                        client: null),
                });
                server.EventRaised += e =>
                {
                    if (e is ConnectionFailed or ClientRefused or ClientLeft { Reason: not ("left" or "server stopped" or "disconnected") })
                    {
                        Console.Error.WriteLine("server: " + e);
                    }
                };
                server.Start();
                Console.WriteLine($"ready {server.Port}");
                while (Console.ReadLine() is { } command && command != "stop")
                {
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                    using var self = Process.GetCurrentProcess();
                    Console.WriteLine($"heap {GC.GetTotalMemory(forceFullCollection: true)} rss {self.WorkingSet64}");
                }

                server.StopAsync().GetAwaiter().GetResult();
                return 0;
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
