using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using SafeWire.Enrollment;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Benchmarks.Joins;

/// <summary>
/// Server-side join rate (Stopwatch; numbers go to docs/BENCHMARKS.md "Two machines"):
/// <c>dotnet run -c Release --project bench/SafeWire.Benchmarks -- joins [--joins N] [--concurrency C] [--open K]</c>.
/// One listener on loopback with the join handler every SafeWire server uses (allow-list updated per join, as
/// <c>files serve</c> does), N invitations issued in process, and C in-process clients at a time each redeeming a distinct
/// code (its own key made beforehand). Reports joins/s and the process CPU per join (both ends: they share this process).
/// <c>--open K</c> leaves K further invitations outstanding (a server that invited many machines).
/// <c>--server-process</c> runs the listener in a child process of its own (<c>joins-server</c>) and reads that process's
/// CPU time, so the server's cost per join is measured apart from the clients'; it also reports the server's capacity on
/// 2 cores (2 cores / server CPU per join).
/// </summary>
internal static class JoinsRun
{
    private const string ServerChildMode = "joins-server";

    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.FirstOrDefault() == ServerChildMode)
        {
            exitCode = RunServerChildAsync(args[1..]).GetAwaiter().GetResult();
            return true;
        }

        if (args.FirstOrDefault() != "joins")
        {
            return false;
        }

        exitCode = RunAsync(args[1..]).GetAwaiter().GetResult();
        return true;
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var joins = int.Parse(Option(args, "--joins") ?? "600", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Option(args, "--concurrency") ?? "16", CultureInfo.InvariantCulture);
        var open = int.Parse(Option(args, "--open") ?? "0", CultureInfo.InvariantCulture);
        if (joins < 1 || joins > 100_000 || concurrency < 1 || concurrency > 1024 || open < 0 || open > 100_000)
        {
            await Console.Error.WriteLineAsync("joins: --joins 1..100000, --concurrency 1..1024, --open 0..100000");
            return 2;
        }

        var separate = args.Contains("--server-process");
        Console.WriteLine($"join run: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {joins} joins, {concurrency} at a time, {open} other invitations open, "
            + (separate ? "server in its own process" : "server and clients in one process"));
        var root = Directory.CreateTempSubdirectory("safewire-joins-bench-").FullName;
        try
        {
            if (separate)
            {
                await RunSeparateAsync(Path.Combine(root, "run"), joins, concurrency, open);
                return 0;
            }

            // Warm-up (JIT, first certificate): a small run in its own home, not counted.
            await RunOnceAsync(Path.Combine(root, "warm"), Math.Min(joins, 32), Math.Min(concurrency, 8), 0, quiet: true);
            await RunOnceAsync(Path.Combine(root, "run"), joins, concurrency, open, quiet: false);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task RunOnceAsync(string homeRoot, int joins, int concurrency, int open, bool quiet)
    {
        await using var server = JoinServer.Start(homeRoot, concurrency);
        var store = new InvitationStore(EnrollmentServer.InvitationsPath(server.Home));
        var issueClock = Stopwatch.StartNew();
        var codes = IssueCodes(server.Home, store, "m", joins, open, server.Port);
        issueClock.Stop();
        var keys = NewKeys(joins);

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var (elapsed, clientErrors) = await RunClientsAsync(codes, keys, concurrency);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var failures = server.Refusals;
        DisposeAll(keys);
        if (quiet)
        {
            return;
        }

        var seconds = elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"issued {joins + open} invitations in {issueClock.Elapsed.TotalSeconds:0.00} s ({issueClock.Elapsed.TotalMilliseconds / (joins + open):0.00} ms each)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"joins: {joins - clientErrors} ok, {clientErrors} failed (server refusals {failures}) in {seconds:0.00} s = {(joins - clientErrors) / seconds:0} joins/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"process CPU: {cpu.TotalSeconds:0.00} s = {cpu.TotalMilliseconds / joins:0.00} ms per join (server and client together), {cpu.TotalSeconds / seconds:0.00} cores busy"));
        Console.WriteLine($"allow-list: {AllowList.Load(server.AllowListPath).Entries.Count} keys; invitations used: {store.All().Count(i => i.Used is not null)}");
    }

    /// <summary>
    /// The server in a child process (<c>joins-server</c>), the clients here: the child's CPU time (read by the OS for
    /// that process) before and after the timed joins is the server's cost alone. The invitations are written by this
    /// process into the server's home, as <c>safewire invite</c> does from another process.
    /// </summary>
    private static async Task RunSeparateAsync(string homeRoot, int joins, int concurrency, int open)
    {
        var home = new SafeWireHome(homeRoot);
        home.LoadOrCreateCa().Dispose();
        home.LoadOrCreateServerCredential(ServerName, ["localhost"], [IPAddress.Loopback]).Dispose();

        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        var entry = Environment.GetCommandLineArgs()[0];
        // Under the dotnet host the entry assembly is the first argument; the apphost (dotnet run) needs none.
        if (entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            && Path.GetFileNameWithoutExtension(Environment.ProcessPath!).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(entry);
        }

        info.ArgumentList.Add(ServerChildMode);
        info.ArgumentList.Add(homeRoot);
        info.ArgumentList.Add(concurrency.ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(info)!;
        try
        {
            var ready = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the server process exited before it was ready");
            var port = int.Parse(ready.Split(' ')[1], CultureInfo.InvariantCulture);
            Console.WriteLine($"server process {child.Id} listening on 127.0.0.1:{port}");
            var store = new InvitationStore(EnrollmentServer.InvitationsPath(home));

            // Warm-up (JIT on both sides, first certificate): 32 joins against the same server, not counted.
            var warmCodes = IssueCodes(home, store, "w", Math.Min(joins, 32), 0, port);
            var warmKeys = NewKeys(warmCodes.Length);
            await RunClientsAsync(warmCodes, warmKeys, Math.Min(concurrency, 8));
            DisposeAll(warmKeys);

            var issueClock = Stopwatch.StartNew();
            var codes = IssueCodes(home, store, "m", joins, open, port);
            issueClock.Stop();
            var keys = NewKeys(joins);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"issued {joins + open} invitations in {issueClock.Elapsed.TotalSeconds:0.00} s ({issueClock.Elapsed.TotalMilliseconds / (joins + open):0.00} ms each); timing {joins} joins"));

            using var self = Process.GetCurrentProcess();
            child.Refresh();
            self.Refresh();
            var serverBefore = child.TotalProcessorTime;
            var clientBefore = self.TotalProcessorTime;
            var (elapsed, clientErrors) = await RunClientsAsync(codes, keys, concurrency);
            child.Refresh();
            self.Refresh();
            var serverCpu = child.TotalProcessorTime - serverBefore;
            var clientCpu = self.TotalProcessorTime - clientBefore;
            DisposeAll(keys);

            await child.StandardInput.WriteLineAsync("stop");
            await child.StandardInput.FlushAsync();
            var summary = await child.StandardOutput.ReadLineAsync() ?? "(the server process said nothing)";
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            var ok = joins - clientErrors;
            var seconds = elapsed.TotalSeconds;
            var serverMs = serverCpu.TotalMilliseconds / joins;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"joins: {ok} ok, {clientErrors} failed in {seconds:0.00} s = {ok / seconds:0} joins/s (server and clients sharing this machine)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"server process CPU: {serverCpu.TotalSeconds:0.00} s = {serverMs:0.00} ms per join, {serverCpu.TotalSeconds / seconds:0.00} cores busy"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"client process CPU: {clientCpu.TotalSeconds:0.00} s = {clientCpu.TotalMilliseconds / joins:0.00} ms per join, {clientCpu.TotalSeconds / seconds:0.00} cores busy"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"server capacity by CPU: {1000 / serverMs:0} joins/s per core, {2000 / serverMs:0} joins/s on 2 cores (target: >= 200)"));
            Console.WriteLine("server: " + summary);
            Console.WriteLine($"allow-list: {AllowList.Load(Path.Combine(homeRoot, AllowListFile)).Entries.Count} keys; invitations used: {store.All().Count(i => i.Used is not null)}");
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
            }
        }
    }

    /// <summary>The child of <see cref="RunSeparateAsync"/>: serves joins until told "stop", then prints its counts.</summary>
    private static async Task<int> RunServerChildAsync(string[] args)
    {
        await using (var server = JoinServer.Start(args[0], int.Parse(args[1], CultureInfo.InvariantCulture)))
        {
            Console.WriteLine($"ready {server.Port}");
            while (await Console.In.ReadLineAsync() is { } command && command != "stop")
            {
            }

            Console.WriteLine($"{server.Joined} joins completed, {server.Refusals} refused");
        }

        return 0;
    }

    private static JoinCode[] IssueCodes(SafeWireHome home, InvitationStore store, string prefix, int joins, int open, int port)
    {
        string caFingerprint;
        using (var ca = CertificateFile.Read(home.CaCertificatePath))
        {
            caFingerprint = Fingerprint.Of(ca.PublicKey.ExportSubjectPublicKeyInfo());
        }

        var now = home.Time.GetUtcNow();
        var codes = new JoinCode[joins];
        for (var i = 0; i < joins + open; i++)
        {
            var code = store.Create(prefix + i.ToString(CultureInfo.InvariantCulture), PeerRole.Client, [], [], "127.0.0.1", port, caFingerprint, now, TimeSpan.FromHours(1));
            if (i < joins)
            {
                codes[i] = code;
            }
        }

        return codes;
    }

    private static ECDsa[] NewKeys(int count) => [.. Enumerable.Range(0, count).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256))];

    private static void DisposeAll(ECDsa[] keys)
    {
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }

    /// <summary>Redeems every code, <paramref name="concurrency"/> at a time; returns the wall time and the failed joins.</summary>
    private static async Task<(TimeSpan Elapsed, int Errors)> RunClientsAsync(JoinCode[] codes, ECDsa[] keys, int concurrency)
    {
        var clock = Stopwatch.StartNew();
        var next = -1;
        var clientErrors = 0;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < codes.Length)
            {
                try
                {
                    await EnrollmentClient.JoinAsync(codes[index], keys[index]);
                }
                catch (JoinException e)
                {
                    if (Interlocked.Increment(ref clientErrors) <= 3)
                    {
                        await Console.Error.WriteLineAsync("join failed: " + e.Message);
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        clock.Stop();
        return (clock.Elapsed, clientErrors);
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private const string ServerName = "bench";
    private const string AllowListFile = "allowed.txt";

    /// <summary>One listener with the join handler, as every SafeWire server has it (allow-list updated per join).</summary>
    private sealed class JoinServer : IAsyncDisposable
    {
        private readonly LocalCredential _credential;
        private readonly EnrollmentServer _enrollment;
        private readonly SecureListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private Task _serving = Task.CompletedTask;
        private int _joined;
        private int _refusals;

        private JoinServer(SafeWireHome home, string allowListPath, LocalCredential credential, EnrollmentServer enrollment, SecureListener listener)
        {
            Home = home;
            AllowListPath = allowListPath;
            _credential = credential;
            _enrollment = enrollment;
            _listener = listener;
            _enrollment.Completed += e =>
            {
                if (e.Error is null)
                {
                    Interlocked.Increment(ref _joined);
                }
                else
                {
                    Interlocked.Increment(ref _refusals);
                }
            };
        }

        public SafeWireHome Home { get; }

        public string AllowListPath { get; }

        public int Port => _listener.LocalEndPoint.Port;

        public int Joined => Volatile.Read(ref _joined);

        public int Refusals => Volatile.Read(ref _refusals);

        public static JoinServer Start(string homeRoot, int concurrency)
        {
            var home = new SafeWireHome(homeRoot);
            home.LoadOrCreateCa().Dispose();
            var credential = home.LoadOrCreateServerCredential(ServerName, ["localhost"], [IPAddress.Loopback]);
            var allowList = Path.Combine(homeRoot, AllowListFile);
            var enrollment = new EnrollmentServer(home, new EnrollmentServerOptions { AllowListPath = allowList });
            var options = new SecureServerOptions
            {
                ServerCredential = credential,
                ClientVerifier = EnrollmentServer.Gate(new AllowListVerifier(allowList)),
                RequireClientCredential = true,
                JoinHandler = enrollment.HandleAsync,
            };
            // Every client comes from 127.0.0.1: let one address have as many handshakes in flight as there are clients.
            var admission = new AdmissionOptions { MaxPendingPerAddress = 2 * concurrency + 8, MaxPendingConnections = Math.Max(128, 2 * concurrency + 8) };
            var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), options, admission);
            var server = new JoinServer(home, allowList, credential, enrollment, listener);
            listener.Start();
            server._serving = listener.ServeAsync((_, _) => Task.CompletedTask, server._stop.Token);
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _serving;
            await _listener.DisposeAsync();
            _enrollment.Dispose();
            _credential.Dispose();
            _stop.Dispose();
        }
    }
}
