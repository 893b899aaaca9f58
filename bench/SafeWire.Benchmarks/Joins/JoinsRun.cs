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
/// </summary>
internal static class JoinsRun
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
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

        Console.WriteLine($"join run: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {joins} joins, {concurrency} at a time, {open} other invitations open");
        var root = Directory.CreateTempSubdirectory("safewire-joins-bench-").FullName;
        try
        {
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
        var home = new SafeWireHome(homeRoot);
        home.LoadOrCreateCa().Dispose();
        using var serverCredential = home.LoadOrCreateServerCredential("bench", ["localhost"], [IPAddress.Loopback]);
        string caFingerprint;
        using (var ca = CertificateFile.Read(home.CaCertificatePath))
        {
            caFingerprint = Fingerprint.Of(ca.PublicKey.ExportSubjectPublicKeyInfo());
        }

        var allowList = Path.Combine(homeRoot, "allowed.txt");
        using var enrollment = new EnrollmentServer(home, new EnrollmentServerOptions { AllowListPath = allowList });
        var failures = 0;
        enrollment.Completed += e =>
        {
            if (e.Error is not null)
            {
                Interlocked.Increment(ref failures);
            }
        };
        var options = new SecureServerOptions
        {
            ServerCredential = serverCredential,
            ClientVerifier = EnrollmentServer.Gate(new AllowListVerifier(allowList)),
            RequireClientCredential = true,
            JoinHandler = enrollment.HandleAsync,
        };
        // Every client comes from 127.0.0.1: let one address have as many handshakes in flight as there are clients.
        var admission = new AdmissionOptions { MaxPendingPerAddress = 2 * concurrency + 8, MaxPendingConnections = Math.Max(128, 2 * concurrency + 8) };
        await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), options, admission);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var serving = listener.ServeAsync((_, _) => Task.CompletedTask, stop.Token);
        var port = listener.LocalEndPoint.Port;

        var store = new InvitationStore(EnrollmentServer.InvitationsPath(home));
        var now = home.Time.GetUtcNow();
        var issueClock = Stopwatch.StartNew();
        var codes = new JoinCode[joins];
        for (var i = 0; i < joins + open; i++)
        {
            var code = store.Create("m" + i.ToString(CultureInfo.InvariantCulture), PeerRole.Client, [], [], "127.0.0.1", port, caFingerprint, now, TimeSpan.FromHours(1));
            if (i < joins)
            {
                codes[i] = code;
            }
        }

        issueClock.Stop();
        var keys = new ECDsa[joins];
        for (var i = 0; i < joins; i++)
        {
            keys[i] = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        }

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var next = -1;
        var clientErrors = 0;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < joins)
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
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        await stop.CancelAsync();
        await serving;
        foreach (var key in keys)
        {
            key.Dispose();
        }

        if (quiet)
        {
            return;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"issued {joins + open} invitations in {issueClock.Elapsed.TotalSeconds:0.00} s ({issueClock.Elapsed.TotalMilliseconds / (joins + open):0.00} ms each)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"joins: {joins - clientErrors} ok, {clientErrors} failed (server refusals {failures}) in {seconds:0.00} s = {(joins - clientErrors) / seconds:0} joins/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"process CPU: {cpu.TotalSeconds:0.00} s = {cpu.TotalMilliseconds / joins:0.00} ms per join (server and client together), {cpu.TotalSeconds / seconds:0.00} cores busy"));
        Console.WriteLine($"allow-list: {AllowList.Load(allowList).Entries.Count} keys; invitations used: {store.All().Count(i => i.Used is not null)}");
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
