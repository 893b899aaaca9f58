using Xunit;

namespace SafeWire.Cli.Tests.Ux;

/// <summary>Runs alone: its CPU hog would slow every other test of the assembly.</summary>
[CollectionDefinition(nameof(BusyMachine), DisableParallelization = true)]
public sealed class BusyMachine;

/// <summary>
/// <c>safewire demo</c> must hold on a busy machine: 50 runs in a row while every core spins. The demo runs in this
/// process (<see cref="SafeWireCli.RunAsync(string[], TextWriter, TextWriter, TextReader)"/>): starting the executable
/// 50 times would cost minutes of start-up alone on a loaded CI machine, and the demo's steps are the same code.
/// </summary>
[Collection(nameof(BusyMachine))]
public sealed class DemoReliabilityTests
{
    private const int Runs = 50;

    [Fact]
    public async Task DemoHolds50RunsInARowWithEveryCoreBusy()
    {
        using var stop = new CancellationTokenSource();
        var hogs = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => new Thread(() => Spin(stop.Token)) { IsBackground = true }).ToList();
        hogs.ForEach(t => t.Start());
        try
        {
            for (var i = 1; i <= Runs; i++)
            {
                var run = await InProcess.RunAsync("demo").WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
                Assert.True(run.ExitCode == 0, $"run {i} of {Runs} failed (exit {run.ExitCode}):\n{run.Output}\n{run.Error}");
                Assert.Contains("demo complete: every step held", run.Output, StringComparison.Ordinal);
                TestContext.Current.SendDiagnosticMessage($"demo run {i} of {Runs} held");
            }
        }
        finally
        {
            await stop.CancelAsync();
            hogs.ForEach(t => t.Join());
        }
    }

    /// <summary>Busy work, bounded by the test: until it is cancelled.</summary>
    private static void Spin(CancellationToken stop)
    {
        var x = 1UL;
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < 100_000; i++)
            {
                x = unchecked((x * 6364136223846793005UL) + 1442695040888963407UL);
            }
        }

        GC.KeepAlive(x);
    }
}
