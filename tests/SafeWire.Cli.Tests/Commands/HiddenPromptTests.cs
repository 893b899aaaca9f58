using System.Diagnostics;
using System.Text;
using SafeWire.Files.Ftp;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Commands;

/// <summary>
/// The password prompt on a real terminal: the executable runs under util-linux <c>script</c>, which gives it a
/// pseudo-terminal, and keys are typed only once the prompt is shown (so the prompt, not the terminal's line
/// editing, handles them).
/// </summary>
public sealed class HiddenPromptTests
{
    private const string Backspace = "\x7f"; // what a terminal sends for the Backspace key (VERASE)

    [Fact]
    public async Task TypedPasswordIsHiddenEditedWithBackspaceAndSaved()
    {
        using var dir = new TempDirectory();
        var users = dir["users.txt"];
        await using var terminal = TerminalSession.Start(["ftp", "user", "add", "carol", "--users", users]);

        await terminal.WaitForAsync("Password for carol:");
        await terminal.TypeAsync("s3cretx" + Backspace + "!\r");
        await terminal.WaitForAsync("Repeat the password:");
        await terminal.TypeAsync("s3cret!\r");

        Assert.True(await terminal.WaitForExitAsync() == 0, terminal.Output);
        Assert.Contains("carol (read-write) saved", terminal.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", terminal.Output, StringComparison.Ordinal);
        Assert.Contains("*******", terminal.Output, StringComparison.Ordinal);
        var store = FtpUserStore.Load(users);
        Assert.NotNull(store.Authenticate("carol", "s3cret!"));
        Assert.Null(store.Authenticate("carol", "s3cretx!"));
    }

    [Fact]
    public async Task DifferentRepeatIsRefusedAndNothingIsWritten()
    {
        using var dir = new TempDirectory();
        var users = dir["users.txt"];
        await using var terminal = TerminalSession.Start(["ftp", "user", "add", "carol", "--users", users]);

        await terminal.WaitForAsync("Password for carol:");
        await terminal.TypeAsync("s3cret!\r");
        await terminal.WaitForAsync("Repeat the password:");
        await terminal.TypeAsync("s3cret?\r");

        Assert.NotEqual(0, await terminal.WaitForExitAsync());
        Assert.Contains("the passwords do not match", terminal.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(users));
    }

    /// <summary><c>safewire ARGS</c> on a pseudo-terminal; <see cref="Output"/> is everything the terminal showed.</summary>
    private sealed class TerminalSession : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly Task _reader;

        private TerminalSession(Process process)
        {
            _process = process;
            _reader = Task.Run(ReadAsync);
        }

        public string Output
        {
            get { lock (_output) { return _output.ToString(); } }
        }

        public static TerminalSession Start(IEnumerable<string> args)
        {
            var line = string.Join(' ', SafeWireProcess.Command.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
            var info = new ProcessStartInfo("script", ["--quiet", "--flush", "--return", "--command", line, "/dev/null"])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
            };
            info.Environment["TERM"] = "xterm";
            info.Environment["NO_COLOR"] = "1";
            info.Environment["DOTNET_NOLOGO"] = "1";
            return new TerminalSession(Process.Start(info) ?? throw new InvalidOperationException("script did not start"));
        }

        public async Task TypeAsync(string keys)
        {
            await _process.StandardInput.WriteAsync(keys);
            await _process.StandardInput.FlushAsync();
        }

        public async Task WaitForAsync(string text)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                if (_process.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the terminal never showed \"{text}\":\n{Output}");
                }

                await Task.Delay(25);
            }
        }

        public async Task<int> WaitForExitAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(limit.Token);
            await _reader;
            return _process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new char[1024];
            int read;
            while ((read = await _process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_output)
                {
                    _output.Append(buffer, 0, read);
                }
            }
        }
    }
}
