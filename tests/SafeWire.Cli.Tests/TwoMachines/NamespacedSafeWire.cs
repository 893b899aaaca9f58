using System.Diagnostics;
using System.Text;
using SafeWire.TestSupport;

namespace SafeWire.Cli.Tests.TwoMachines;

/// <summary>The real safewire executable started inside a network namespace (<c>ip netns exec NS safewire ...</c>).</summary>
internal sealed class NamespacedSafeWire : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();
    private readonly string _label;

    private NamespacedSafeWire(Process process, string label)
    {
        _process = process;
        _label = label;
    }

    public string Output
    {
        get { lock (_gate) { return _stdout.ToString(); } }
    }

    public string Error
    {
        get { lock (_gate) { return _stderr.ToString(); } }
    }

    public static NamespacedSafeWire Start(string networkNamespace, IEnumerable<string> args)
    {
        var arguments = args.ToList();
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in (string[])["netns", "exec", networkNamespace, .. SafeWireProcess.Command, .. arguments])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment.Remove("SAFEWIRE_HOME");
        var process = new Process { StartInfo = info };
        var wrapper = new NamespacedSafeWire(process, $"[{networkNamespace}] safewire {string.Join(' ', arguments)}");
        process.OutputDataReceived += (_, e) => wrapper.Append(wrapper._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append(wrapper._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>Runs to completion (killed after 90 s).</summary>
    public static async Task<ProcessResult> RunAsync(string networkNamespace, params string[] args)
    {
        await using var process = Start(networkNamespace, args);
        process._process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{process._label} did not finish.\nstdout:\n{process.Output}\nstderr:\n{process.Error}");
        }

        process._process.WaitForExit();
        return new ProcessResult(process._process.ExitCode, process.Output, process.Error);
    }

    /// <summary>Waits until standard output contains <paramref name="text"/> (or the process exits, or 60 s pass).</summary>
    public async Task WaitForOutputAsync(string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                await Task.Delay(200);
                if (Output.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                throw new InvalidOperationException($"{_label} did not print \"{text}\" (exited: {_process.HasExited}).\nstdout:\n{Output}\nstderr:\n{Error}");
            }

            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // It was never started or has exited.
        }

        _process.Dispose();
    }

    private void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            buffer.Append(line).Append('\n');
        }
    }
}
