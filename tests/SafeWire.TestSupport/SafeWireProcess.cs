using System.Diagnostics;
using System.Text;

namespace SafeWire.TestSupport;

/// <summary>
/// Runs the real <c>safewire</c> executable (safewire.dll, copied next to the test assembly by a project
/// reference to SafeWire.Cli) as a child process: one-shot with <see cref="RunAsync"/>, or long-running
/// (servers) with <see cref="Start"/>, feeding standard input and waiting for output lines.
/// </summary>
public sealed class SafeWireProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SafeWireProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Everything printed to standard output so far.</summary>
    public string Output
    {
        get { lock (_gate) { return _stdout.ToString(); } }
    }

    /// <summary>Everything printed to standard error so far.</summary>
    public string Error
    {
        get { lock (_gate) { return _stderr.ToString(); } }
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Set to the path of a native build (<c>dotnet publish -c Release src/SafeWire.Cli</c>) to run every test that
    /// starts the executable against that build instead (<c>.ci/run</c> does, so the shipped binary is what is tested).
    /// </summary>
    public const string NativeExecutableVariable = "SAFEWIRE_EXE";

    /// <summary>
    /// How to start safewire: the native executable named by <see cref="NativeExecutableVariable"/>, else dotnet with
    /// safewire.dll. The program, then the arguments that come before safewire's own.
    /// </summary>
    public static string[] Command => NativeExecutable is { } native ? [native] : ["dotnet", ExecutablePath];

    private static string? NativeExecutable
    {
        get
        {
            var exe = Environment.GetEnvironmentVariable(NativeExecutableVariable);
            if (string.IsNullOrEmpty(exe))
            {
                return null;
            }

            return File.Exists(exe) ? Path.GetFullPath(exe) : throw new InvalidOperationException($"{NativeExecutableVariable}={exe}: no such file.");
        }
    }

    private static string ExecutablePath
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "safewire.dll");
            if (!File.Exists(dll))
            {
                throw new InvalidOperationException($"safewire.dll not found at {dll}: the test project must reference SafeWire.Cli.");
            }

            return dll;
        }
    }

    /// <summary>Starts <c>safewire ARGS</c>; the environment gets <paramref name="environment"/> on top of this process's.</summary>
    public static SafeWireProcess Start(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var command = Command;
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in command.Skip(1).Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapper = new SafeWireProcess(process);
        process.OutputDataReceived += (_, e) => wrapper.Append(wrapper._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append(wrapper._stderr, e.Data);
        process.Exited += (_, _) => wrapper._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>Runs <c>safewire ARGS</c> to completion (killed after <paramref name="timeout"/>, default 60 s).</summary>
    public static async Task<ProcessResult> RunAsync(IEnumerable<string> args, string? standardInput = null, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        await using var process = Start(args, environment, workingDirectory);
        if (standardInput is not null)
        {
            await process.WriteAsync(standardInput);
        }

        process.CloseInput();
        var exitCode = await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return new ProcessResult(exitCode, process.Output, process.Error);
    }

    public async Task WriteAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    public Task WriteLineAsync(string line) => WriteAsync(line + "\n");

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Waits until standard output contains <paramref name="text"/>; throws TimeoutException with the output so far.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // returns once the asynchronous output readers have the last lines
                if (Output.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                throw new InvalidOperationException($"safewire exited ({_process.ExitCode}) before printing \"{text}\".\nstdout:\n{Output}\nstderr:\n{Error}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"safewire did not print \"{text}\".\nstdout:\n{Output}\nstderr:\n{Error}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Waits for exit; kills the process tree and throws TimeoutException if it takes longer.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var finished = await Task.WhenAny(_exited.Task, Task.Delay(timeout));
        if (finished != _exited.Task)
        {
            Kill();
            throw new TimeoutException($"safewire did not exit within {timeout}.\nstdout:\n{Output}\nstderr:\n{Error}");
        }

        _process.WaitForExit(); // drains the asynchronous output readers
        return _process.ExitCode;
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
        }
    }
}

/// <summary>How a finished <c>safewire</c> run ended.</summary>
public sealed record ProcessResult(int ExitCode, string Output, string Error);
