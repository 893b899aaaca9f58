using System.Globalization;
using System.Runtime.InteropServices;
using SafeWire.Protocol;
using SafeWire.Protocol.Handshake;
using SafeWire.Identity;

namespace SafeWire.Benchmarks.Channel;

/// <summary>
/// The end-to-end "load run" (<c>-- channel</c>): SecureStream, SslStream and plain TCP side by side on loopback,
/// timed with Stopwatch (BenchmarkDotNet would take far too long for connection-level scenarios). Prints progress,
/// then one Markdown table for docs/BENCHMARKS.md. <c>-- channel quick</c> runs everything small, to check the harness;
/// naming sections (<c>bulk</c>, <c>records</c>, <c>handshakes</c>, <c>latency</c>, <c>idle</c>) runs only those.
/// </summary>
internal static class ChannelLoadRun
{
    private const double BulkTarget = 1.25;
    private const double FullHandshakeTarget = 2.0;
    private const double ResumedTarget = 3.0;
    private const double IdleTargetBytes = 8 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        bool quick = args.Contains("quick");
        string[] sections = ["bulk", "records", "handshakes", "latency", "idle"];
        var chosen = sections.Where(args.Contains).ToHashSet();
        bool Run(string section) => chosen.Count == 0 || chosen.Contains(section);
        long bulkBytes = quick ? 64L << 20 : 1L << 30;
        int bulkRepeats = quick ? 1 : 2;
        var duration = TimeSpan.FromSeconds(quick ? 1 : 3);
        var warmUp = TimeSpan.FromSeconds(quick ? 0.3 : 1);
        int pings = quick ? 2_000 : 20_000;
        int idleConnections = quick ? 300 : 2_000;

        Console.WriteLine($"SafeWire channel load run, {DateTimeOffset.UtcNow:u}");
        Console.WriteLine(Machine());
        Console.WriteLine($"load average at start: {LoadAverage()}");
        using var certificates = BenchCertificates.Create();
        using var contenders = new Contenders(certificates);
        var table = new ResultTable();
        Contender[] all = [Contender.SecureStream, Contender.SslStream, Contender.Plain];

        if (Run("bulk"))
        {
            await BulkAsync(contenders, table, all, bulkBytes, bulkRepeats);
        }

        if (Run("records"))
        {
            var (perRecord16k, perRecord1) = RecordAllocations(certificates);
            table.Add("bytes allocated per record, seal + open in memory (16 KiB / 1 B records)", $"{ResultTable.Number(perRecord16k, "0.##")} / {ResultTable.Number(perRecord1, "0.##")}", string.Empty, string.Empty, "0", perRecord16k == 0 && perRecord1 == 0 ? "met" : "MISSED");
        }

        if (Run("handshakes"))
        {
            await HandshakesAsync(contenders, table, all, duration, warmUp);
        }

        if (Run("latency"))
        {
            await LatencyAsync(contenders, table, all, pings);
        }

        if (Run("idle"))
        {
            await IdleAsync(contenders, certificates, table, all, idleConnections);
        }

        Console.WriteLine($"load average at end: {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine(table.ToMarkdown());
        return 0;
    }

    private static async Task BulkAsync(Contenders contenders, ResultTable table, Contender[] all, long bulkBytes, int bulkRepeats)
    {
        var bulk = new Dictionary<(Contender, bool), BulkThroughput.Result>();
        foreach (bool sync in new[] { false, true })
        {
            foreach (var contender in all)
            {
                for (int i = 0; i < bulkRepeats; i++)
                {
                    var r = await BulkThroughput.MeasureAsync(contenders, contender, bulkBytes, sync);
                    if (!bulk.TryGetValue((contender, sync), out var best) || r.BytesPerSecond > best.BytesPerSecond)
                    {
                        bulk[(contender, sync)] = r;
                    }
                }
            }
        }

        string size = bulkBytes >= 1L << 30 ? $"{bulkBytes >> 30} GiB" : $"{bulkBytes >> 20} MiB";
        foreach (bool sync in new[] { false, true })
        {
            double ours = bulk[(Contender.SecureStream, sync)].BytesPerSecond;
            double ssl = bulk[(Contender.SslStream, sync)].BytesPerSecond;
            table.Add($"bulk {size} in 64 KiB writes, {(sync ? "sync" : "async")} (MB/s, best of {bulkRepeats})",
                ResultTable.Number(ours / 1e6), ResultTable.Number(ssl / 1e6), ResultTable.Number(bulk[(Contender.Plain, sync)].BytesPerSecond / 1e6),
                "≥ 1.25× SslStream", ResultTable.Verdict(ours / ssl, BulkTarget));
        }

        foreach (bool sync in new[] { false, true })
        {
            string[] perRecord = [.. all.Select(c => bulk[(c, sync)]).Select(r => ResultTable.Number(r.AllocatedBytes / (r.Bytes / (double)ProtocolConstants.MaxPlaintext), "0.##"))];
            table.Add($"bytes allocated (process-wide, both ends) per 16 KiB of bulk data, {(sync ? "sync" : "async")}", perRecord[0], perRecord[1], perRecord[2], "0", perRecord[0] == "0" ? "met" : "see notes");
        }
    }

    private static async Task HandshakesAsync(Contenders contenders, ResultTable table, Contender[] all, TimeSpan duration, TimeSpan warmUp)
    {
        var rates = new Dictionary<(Contender, bool, int), HandshakeRate.Result>();
        foreach (int clients in new[] { 1, 2 })
        {
            foreach (var contender in all)
            {
                foreach (bool resumption in contender == Contender.Plain ? [false] : new[] { false, true })
                {
                    var r = await HandshakeRate.MeasureAsync(contenders, contender, resumption, clients, duration, warmUp);
                    rates[(contender, resumption, clients)] = r;
                    if (r.ServerFailures != 0)
                    {
                        Console.WriteLine($"  warning: {r.ServerFailures} server-side failures ({contender}, resumption {resumption}, {clients} clients)");
                    }
                }
            }
        }

        foreach (int clients in new[] { 1, 2 })
        {
            var ours = rates[(Contender.SecureStream, false, clients)];
            var ssl = rates[(Contender.SslStream, false, clients)];
            string who = clients == 1 ? "1 client" : "2 concurrent clients";
            table.Add($"full handshakes/s, {who}", ResultTable.Number(ours.PerSecond), ResultTable.Number(ssl.PerSecond), ResultTable.Number(rates[(Contender.Plain, false, clients)].PerSecond) + " connects",
                "≥ 2× SslStream", ResultTable.Verdict(ours.PerSecond / ssl.PerSecond, FullHandshakeTarget));
        }

        foreach (int clients in new[] { 1, 2 })
        {
            var ours = rates[(Contender.SecureStream, true, clients)];
            var full = rates[(Contender.SecureStream, false, clients)];
            var ssl = rates[(Contender.SslStream, true, clients)];
            string who = clients == 1 ? "1 client" : "2 concurrent clients";
            string resumedShare = ours.Handshakes == 0 ? "0" : ResultTable.Number(100.0 * ours.Resumed / ours.Handshakes, "0");
            table.Add($"resumed handshakes/s, {who} (SecureStream: {resumedShare}% resumed)", ResultTable.Number(ours.PerSecond), ResultTable.Number(ssl.PerSecond), string.Empty,
                "≥ 3× our full", ResultTable.Verdict(ours.PerSecond / full.PerSecond, ResumedTarget));
        }
    }

    private static async Task LatencyAsync(Contenders contenders, ResultTable table, Contender[] all, int pings)
    {
        var latency = new Dictionary<Contender, RoundTripLatency.Result>();
        foreach (var contender in all)
        {
            latency[contender] = await RoundTripLatency.MeasureAsync(contenders, contender, pings / 10, pings);
        }

        table.Add($"1-byte round trip p50 (µs, {pings:N0} pings)", ResultTable.Number(latency[Contender.SecureStream].P50Microseconds, "0.0"), ResultTable.Number(latency[Contender.SslStream].P50Microseconds, "0.0"), ResultTable.Number(latency[Contender.Plain].P50Microseconds, "0.0"));
        table.Add("1-byte round trip p99 (µs)", ResultTable.Number(latency[Contender.SecureStream].P99Microseconds, "0.0"), ResultTable.Number(latency[Contender.SslStream].P99Microseconds, "0.0"), ResultTable.Number(latency[Contender.Plain].P99Microseconds, "0.0"));
    }

    private static async Task IdleAsync(Contenders contenders, BenchCertificates certificates, ResultTable table, Contender[] all, int idleConnections)
    {
        var idle = new Dictionary<Contender, IdleMemory.Result>();
        foreach (var contender in all)
        {
            idle[contender] = await IdleMemory.MeasureAsync(contenders, certificates, contender, idleConnections);
        }

        var inProcess = new Dictionary<Contender, double>();
        foreach (var contender in all)
        {
            inProcess[contender] = await IdleMemory.MeasureInProcessAsync(contenders, contender, idleConnections);
        }

        double ourIdle = idle[Contender.SecureStream].ManagedBytesPerConnection;
        table.Add($"server managed heap per idle connection (bytes, {idleConnections:N0} connections, clients in another process)", ResultTable.Number(ourIdle), ResultTable.Number(idle[Contender.SslStream].ManagedBytesPerConnection), ResultTable.Number(idle[Contender.Plain].ManagedBytesPerConnection),
            "≤ 8 KiB", ourIdle <= IdleTargetBytes ? "met" : "MISSED");
        table.Add("managed heap per idle connection, in one process: server stream stack + client socket (bytes)", ResultTable.Number(inProcess[Contender.SecureStream]), ResultTable.Number(inProcess[Contender.SslStream]), ResultTable.Number(inProcess[Contender.Plain]),
            "≤ 8 KiB", inProcess[Contender.SecureStream] <= IdleTargetBytes ? "met" : "MISSED");
    }

    /// <summary>Bytes allocated on this thread per record sealed and opened (steady state, after a warm-up).</summary>
    private static (double Full, double OneByte) RecordAllocations(BenchCertificates certificates)
    {
        var verifier = new CaVerifier([certificates.Root]);
        var scratch = new byte[1 << 17];
        var (client, server) = InMemorySession.Handshake(
            InMemorySession.Client(verifier, CipherSuite.Aes256Gcm), InMemorySession.Server(certificates.ServerCredential, CipherSuite.Aes256Gcm), scratch);
        using (client)
        using (server)
        {
            var data = new byte[ProtocolConstants.MaxPlaintext];
            return (PerRecord(client, server, data, scratch), PerRecord(client, server, data.AsSpan(0, 1).ToArray(), scratch));
        }

        static double PerRecord(ProtocolConnection client, ProtocolConnection server, byte[] data, byte[] record)
        {
            const int Records = 100_000;
            for (int i = 0; i < 20_000; i++)
            {
                InMemorySession.SealAndOpen(client, server, data, record);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Records; i++)
            {
                InMemorySession.SealAndOpen(client, server, data, record);
            }

            return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Records;
        }
    }

    private static string Machine()
    {
        string cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores, {cpu}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
}
