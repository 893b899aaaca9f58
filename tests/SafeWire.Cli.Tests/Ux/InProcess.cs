using System.Collections.Concurrent;
using System.Text;

namespace SafeWire.Cli.Tests.Ux;

/// <summary>How one in-process run of <c>safewire ARGS</c> ended.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>The lines written to standard error (none empty).</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Runs <c>safewire</c> verbs in this process, with captured output (plain text: it is not a terminal).</summary>
internal static class InProcess
{
    public static async Task<CliRun> RunAsync(params string[] args) => await RunAsync(TextReader.Null, args);

    public static async Task<CliRun> RunAsync(TextReader input, params string[] args)
    {
        var output = new SyncWriter();
        var error = new SyncWriter();
        var code = await SafeWireCli.RunAsync(args, output, error, input);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs a verb as if a person sat at a terminal: it may ask questions, and <paramref name="input"/> holds the answers.</summary>
    public static async Task<CliRun> RunOnTerminalAsync(TextReader input, params string[] args)
    {
        var output = new SyncWriter();
        var error = new SyncWriter();
        var code = await SafeWireCli.RunAsync(args, output, error, input, terminal: true);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Starts a long-running verb (a server); <see cref="Running.Input"/> feeds its standard input.</summary>
    public static Running Start(params string[] args)
    {
        var output = new SyncWriter();
        var error = new SyncWriter();
        var input = new QueueReader();
        var interrupt = new CancellationTokenSource();
        var task = Task.Run(() => SafeWireCli.RunAsync(args, output, error, input, interrupt.Token));
        return new Running(task, output, error, input, interrupt);
    }

    internal sealed class Running(Task<int> task, SyncWriter output, SyncWriter error, QueueReader input, CancellationTokenSource interrupt) : IAsyncDisposable
    {
        public Task<int> Exit => task;

        /// <summary>Ctrl+C, then waits for the exit code.</summary>
        public async Task<int> InterruptAsync()
        {
            await interrupt.CancelAsync();
            return await task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        public async ValueTask DisposeAsync()
        {
            input.Close();
            if (!task.IsCompleted)
            {
                await interrupt.CancelAsync();
                await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(60)));
            }

            interrupt.Dispose();
        }

        public string Output => output.ToString();

        public string Error => error.ToString();

        public QueueReader Input => input;

        /// <summary>Waits until standard output contains <paramref name="text"/> (woken by each write, not by polling).</summary>
        public async Task WaitForAsync(string text, int seconds = 60)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            while (true)
            {
                var changed = output.NextWrite;
                if (Output.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                if (task.IsCompleted)
                {
                    throw new InvalidOperationException($"safewire ended ({await task}) before printing \"{text}\"\n{Output}\n{Error}");
                }

                try
                {
                    await Task.WhenAny(changed, task).WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"safewire did not print \"{text}\"\n{Output}\n{Error}");
                }
            }
        }
    }

    /// <summary>A thread-safe writer that wakes waiters on each write.</summary>
    internal sealed class SyncWriter : StringWriter
    {
        private readonly object _gate = new();
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task NextWrite
        {
            get { lock (_gate) { return _next.Task; } }
        }

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }

            Pulse();
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }

            Pulse();
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_gate)
            {
                base.Write(buffer, index, count);
            }

            Pulse();
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
                base.Write('\n');
            }

            Pulse();
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return base.ToString();
            }
        }

        private void Pulse()
        {
            TaskCompletionSource previous;
            lock (_gate)
            {
                previous = _next;
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            previous.TrySetResult();
        }
    }

    /// <summary>Standard input fed line by line by the test; ReadLine blocks until a line or the end comes.</summary>
    internal sealed class QueueReader : TextReader
    {
        private readonly BlockingCollection<string> _lines = [];

        public void WriteLine(string line) => _lines.Add(line);

        public override void Close() => _lines.CompleteAdding();

        public override string? ReadLine() => _lines.TryTake(out var line, Timeout.Infinite) ? line : null;

        public override Task<string?> ReadLineAsync() => Task.Run(ReadLine);

        public override ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) => new(Task.Run(ReadLine, cancellationToken));

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _lines.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
