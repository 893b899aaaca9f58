using System.Globalization;
using SafeWire.KeyDistribution.Peer;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Peer;

/// <summary>
/// The peer's console: status lines, a progress bar with rate and ETA per file on a terminal (one summary line
/// per file when output is redirected), and the waiter's y/n decision through <see cref="Decide"/>.
/// </summary>
internal sealed class ConsolePeerUi(IAnsiConsole console, Func<FileOffer, CancellationToken, ValueTask<string?>> decide) : IPeerUi
{
    private readonly bool _live = !CliConsole.OutputRedirected && console.Profile.Capabilities.Interactive;

    public IAnsiConsole Output { get; } = console;

    public Func<FileOffer, CancellationToken, ValueTask<string?>> Decide { get; set; } = decide;

    public void Info(string message) => Output.WriteLine(message);

    public void Warn(string message) => Output.WriteLine("warning: " + message);

    public ITransferProgress StartProgress(string fileName, long totalBytes, bool sending) =>
        _live ? new LiveProgress(Output, fileName, totalBytes, sending) : new SummaryProgress(Output, fileName, sending);

    public ValueTask<string?> DecideAsync(FileOffer offer, CancellationToken cancellationToken) => Decide(offer, cancellationToken);

    public static string Bytes(long count) => count.ToString("N0", CultureInfo.InvariantCulture) + " bytes";

    /// <summary>Redirected output: one line when the file is done.</summary>
    private sealed class SummaryProgress(IAnsiConsole console, string fileName, bool sending) : ITransferProgress
    {
        private long _done;
        private bool _succeeded;
        private readonly long _started = TimeProvider.System.GetTimestamp();

        public void Advance(long bytes) => _done += bytes;

        public void Complete(bool succeeded) => _succeeded = succeeded;

        public void Dispose()
        {
            if (_succeeded)
            {
                var seconds = Math.Max(TimeProvider.System.GetElapsedTime(_started).TotalSeconds, 1e-6);
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(sending ? "sent" : "received")} {fileName}: {Bytes(_done)} in {seconds:0.00} s ({_done / seconds / 1048576:0.0} MiB/s)"));
            }
        }
    }

    /// <summary>Terminal: a Spectre progress bar (bytes, rate, time left) rendered from a background task.</summary>
    private sealed class LiveProgress : ITransferProgress
    {
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _render;
        private long _done;

        public LiveProgress(IAnsiConsole console, string fileName, long total, bool sending)
        {
            _render = console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(Markup.Escape((sending ? "→ " : "← ") + fileName), maxValue: Math.Max(1, total));
                    while (!_finished.Task.IsCompleted)
                    {
                        task.Value = Interlocked.Read(ref _done);
                        await Task.WhenAny(_finished.Task, Task.Delay(100)).ConfigureAwait(false);
                    }

                    task.Value = Interlocked.Read(ref _done);
                    task.StopTask();
                });
        }

        public void Advance(long bytes) => Interlocked.Add(ref _done, bytes);

        public void Complete(bool succeeded)
        {
        }

        public void Dispose()
        {
            _finished.TrySetResult();
            _render.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
