using SafeWire.Cli.Commands.Chat;
using SafeWire.Cli.Commands.Demo;
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

    /// <summary>
    /// The race behind "two allowed clients connect: NO, 1 connected", made certain instead of likely: the server
    /// holds bob's join back after sending his welcome, until the demo starts waiting for the server's join
    /// announcements. A demo that reads the server's list as soon as bob is welcomed sees one client, every time.
    /// </summary>
    [Fact]
    public async Task DemoWaitsForTheServerToRegisterBothClientsNotJustForTheirWelcome()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var heldBack = new List<string>();
        var hooks = new DemoHooks
        {
            BeforeServerJoin = async (name, ct) =>
            {
                if (name == "bob")
                {
                    lock (heldBack)
                    {
                        heldBack.Add(name);
                    }

                    await release.Task.WaitAsync(ct);
                }
            },
            WaitingForJoins = () => release.TrySetResult(),
        };
        var output = new InProcess.SyncWriter();

        var code = await DemoCommand.RunAsync(explicitHome: null, keep: false, port: 0, new ChatOutput(output), hooks, TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);

        var text = output.ToString();
        Assert.Equal(["bob"], heldBack);
        Assert.Matches(@"two allowed clients connect\s+yes\s+2 connected", text);
        Assert.True(code == 0, $"exit {code}:\n{text}");
        Assert.Contains("demo complete: every step held", text, StringComparison.Ordinal);
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
