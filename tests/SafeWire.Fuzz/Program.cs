using System.Globalization;

namespace SafeWire.Fuzz;

/// <summary>
/// The long fuzz run: <c>dotnet run -c Release --project tests/SafeWire.Fuzz -- [--inputs N] [--seed S] [--target NAME]...</c>
/// (defaults: 1,000,000 inputs per target, seed 1, every target). Prints inputs per second per target and every
/// violation with its input in hex; exits 1 if any invariant broke.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        long inputs = 1_000_000;
        int seed = 1;
        var names = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--inputs" when i + 1 < args.Length:
                    inputs = long.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seed" when i + 1 < args.Length:
                    seed = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--target" when i + 1 < args.Length:
                    names.Add(args[++i]);
                    break;
                default:
                    Console.Error.WriteLine($"usage: SafeWire.Fuzz [--inputs N] [--seed S] [--target NAME]... (targets: {string.Join(", ", Targets.Names)})");
                    return 2;
            }
        }

        var unknown = names.Except(Targets.Names).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"unknown target {unknown[0]}; targets: {string.Join(", ", Targets.Names)}");
            return 2;
        }

        int violations = 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| target | inputs | typed errors | violations | seconds | inputs/s |"));
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var name in names.Count > 0 ? names : Targets.Names)
        {
            using var target = Targets.Create(name);
            var report = FuzzRunner.Run(target.Target, inputs, seed, v => Console.Error.WriteLine(v));
            violations += report.Violations.Count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {report.Target} | {report.Inputs:N0} | {report.TypedErrors:N0} | {report.Violations.Count} | {report.Elapsed.TotalSeconds:F1} | {report.InputsPerSecond:N0} |"));
        }

        return violations == 0 ? 0 : 1;
    }
}

/// <summary>Every target by name (a target that holds resources is disposed by the lease).</summary>
public static class Targets
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "handshake-server", "handshake-client", "handshake-server-flight", "handshake-client-flight",
        "chat-frames", "files-server", "km-frames", "vote-frames", "ftp-commands", "identity-files",
    ];

    public static TargetLease Create(string name) => new(name switch
    {
        "handshake-server" => new HandshakeServerTarget(),
        "handshake-client" => new HandshakeClientTarget(),
        "handshake-server-flight" => new ServerFlightTarget(),
        "handshake-client-flight" => new ClientFlightTarget(),
        "chat-frames" => new ChatFramesTarget(),
        "files-server" => new FilesServerTarget(),
        "km-frames" => new KmFramesTarget(),
        "vote-frames" => new VoteFramesTarget(),
        "ftp-commands" => new FtpCommandsTarget(),
        "identity-files" => new IdentityFilesTarget(),
        _ => throw new ArgumentException("No fuzz target named " + name, nameof(name)),
    });
}

/// <summary>A target, disposed with the lease if it holds files.</summary>
public sealed class TargetLease(FuzzTarget target) : IDisposable
{
    public FuzzTarget Target { get; } = target;

    public void Dispose() => (Target as IDisposable)?.Dispose();
}
