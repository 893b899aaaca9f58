using System.Globalization;

namespace SafeWire.Soak;

/// <summary>
/// For each server: legitimate clients alone (baseline), then the same clients while stalled sockets, garbage
/// senders and a login flood run against it. Prints one Markdown table for docs/BENCHMARKS.md.
/// </summary>
internal static class SoakRun
{
    private static readonly TimeSpan s_operationTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        int hostile = Option(args, "--hostile", 1000);
        int seconds = Option(args, "--seconds", 30);
        int baseline = Option(args, "--baseline", 10);
        int clients = Option(args, "--clients", 4);
        int garbage = Option(args, "--garbage", 4);
        int flood = Option(args, "--flood", 4);
        var only = OptionText(args, "--only")?.Split(',') ?? ["files", "km", "chat", "ftp"];

        var work = Directory.CreateTempSubdirectory("safewire-soak-").FullName;
        int exit = 0;
        try
        {
            var root = Path.Combine(work, "root");
            Directory.CreateDirectory(root);
            await File.WriteAllTextAsync(Path.Combine(root, "here.txt"), "served").ConfigureAwait(false);
            using var pki = new Pki(work);
            Console.WriteLine($"soak: {hostile} stalled sockets, {garbage} garbage senders, {flood} login flooders; {clients} legitimate clients, {baseline} s alone then {seconds} s under attack per server");
            Console.WriteLine();
            Console.WriteLine("| server | legitimate operation | phase | operations | success | p50 ms | p99 ms | stalled open (min/mean/max) | stalled reconnects | garbage conns | flood logins (accepted) | server dropped / refused |");
            Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var name in only)
            {
                await using ISoakTarget target = name switch
                {
                    "files" => FilesTarget.Start(pki, root),
                    "km" => KmTarget.Start(pki),
                    "chat" => ChatTarget.Start(pki),
                    "ftp" => FtpTarget.Start(work, root),
                    _ => throw new ArgumentException($"--only: unknown server {name} (files, km, chat, ftp)"),
                };

                var alone = await Stats.MeasureAsync(target.LegitAsync, clients, TimeSpan.FromSeconds(baseline), s_operationTimeout).ConfigureAwait(false);
                Row(target, "alone", alone, "-", "-", "-", "-", "-");
                Errors(alone);

                await using var attack = Hostile.Start(target.Port, hostile, target.StallPrefix, garbage, flood, target.BadLoginAsync);
                await attack.WaitForOpenAsync(hostile, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                long dropped = target.Admission.DroppedConnections, refused = target.Admission.RefusedConnections;
                int min = attack.Open, max = attack.Open;
                long sum = 0, samples = 0;
                using var sampling = new CancellationTokenSource();
                var sampler = Task.Run(async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        int open = attack.Open;
                        min = Math.Min(min, open);
                        max = Math.Max(max, open);
                        sum += open;
                        samples++;
                        await Task.Delay(100).ConfigureAwait(false);
                    }
                });
                long reconnects = attack.Reconnects, garbageBefore = attack.GarbageConnections, loginsBefore = attack.LoginAttempts, acceptedBefore = attack.LoginsAccepted;
                var under = await Stats.MeasureAsync(target.LegitAsync, clients, TimeSpan.FromSeconds(seconds), s_operationTimeout).ConfigureAwait(false);
                await sampling.CancelAsync().ConfigureAwait(false);
                await sampler.ConfigureAwait(false);
                Row(target, "under attack", under, $"{min}/{(samples == 0 ? 0 : sum / samples)}/{max}", (attack.Reconnects - reconnects).ToString(CultureInfo.InvariantCulture), (attack.GarbageConnections - garbageBefore).ToString(CultureInfo.InvariantCulture), $"{attack.LoginAttempts - loginsBefore} ({attack.LoginsAccepted - acceptedBefore})", $"{target.Admission.DroppedConnections - dropped} / {target.Admission.RefusedConnections - refused}");
                Errors(under);
                if (attack.LoginsAccepted > 0)
                {
                    exit = 1;
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        return exit;
    }

    private static void Row(ISoakTarget target, string phase, Stats stats, string open, string reconnects, string garbage, string flood, string admission) =>
        Console.WriteLine($"| {target.Name} | {target.Operation} | {phase} | {stats.Attempts} | {stats.SuccessRate} | {stats.Percentile(50)} | {stats.Percentile(99)} | {open} | {reconnects} | {garbage} | {flood} | {admission} |");

    private static void Errors(Stats stats)
    {
        foreach (var error in stats.FirstErrors)
        {
            Console.Error.WriteLine("  failed: " + error);
        }
    }

    private static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? OptionText(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
