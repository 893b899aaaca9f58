using System.Diagnostics;
using System.Text.RegularExpressions;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Docs;

/// <summary>
/// Every fenced block marked <c>```sh runnable</c> in README.md and docs/*.md runs with bash, each in a fresh home
/// (an empty HOME and working directory, no SAFEWIRE_HOME), with <c>safewire</c> the built program: the documented
/// commands cannot drift from the program. A block may start a server in the background (<c>safewire ... serve &amp;</c>),
/// as a user would in a second terminal: a later <c>safewire</c> or <c>curl</c> command naming 127.0.0.1:PORT first
/// waits (up to a minute) until something listens on that port, as the user waits for the server's first lines, and
/// servers still running when the block ends are stopped (SIGTERM) and waited for.
/// </summary>
public sealed partial class RunnableDocsTests
{
    [GeneratedRegex(@"^```(?:sh|bash) runnable[ \t]*\n(?<body>.*?)^```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex RunnableBlock();

    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in DocumentFiles())
        {
            var count = RunnableBlock().Count(File.ReadAllText(Path.Combine(RepositoryRoot, file)));
            for (var i = 0; i < count; i++)
            {
                data.Add(file, i);
            }
        }

        return data;
    }

    [Fact]
    public void TheReadmeAndTheGuidesHaveRunnableBlocks()
    {
        var files = Blocks().Select(row => row.Data.Item1).Distinct(StringComparer.Ordinal).ToList();
        Assert.Contains("README.md", files);
        Assert.Contains(Path.Combine("docs", "IDENTITY.md"), files);
        Assert.Contains(Path.Combine("docs", "CHAT.md"), files);
        Assert.Contains(Path.Combine("docs", "FILES.md"), files);
        Assert.Contains(Path.Combine("docs", "VOTING.md"), files);
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public async Task RunnableBlockRuns(string file, int index)
    {
        var block = RunnableBlock().Matches(File.ReadAllText(Path.Combine(RepositoryRoot, file)))[index].Groups["body"].Value;
        using var home = new TempDirectory();
        var command = string.Join(' ', SafeWireProcess.Command.Select(Quote));
        var script = Preamble.Replace("SAFEWIRE", command, StringComparison.Ordinal) + block;
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = home.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment["HOME"] = home.Path;
        start.Environment.Remove("SAFEWIRE_HOME");
        start.Environment["NO_COLOR"] = "1";
        using var bash = Process.Start(start)!;
        bash.StandardInput.Close();
        var output = bash.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = bash.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        try
        {
            await bash.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            bash.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(bash.ExitCode == 0, $"{file}, runnable block {index + 1}, exit {bash.ExitCode}:\n{block}\n--- output\n{await output}\n--- errors\n{await error}");
    }

    /// <summary>
    /// Strict bash with job control (each background job in its own process group, so stopping one stops its
    /// dotnet child too); a server still running at the end is sent SIGTERM and waited for (bounded), before the
    /// home is deleted.
    /// </summary>
    private const string Preamble = """
        set -euo pipefail
        set -m
        __stop_servers() {
          local jobs j i
          jobs=$(jobs -p)
          for j in $jobs; do kill -TERM -- "-$j" 2>/dev/null || true; done
          for j in $jobs; do for ((i = 0; i < 600; i++)); do kill -0 -- "-$j" 2>/dev/null || break; sleep 0.1; done; done
        }
        trap __stop_servers EXIT
        __listening=" "
        __wait_for_server() {
          local a p i
          for a in "$@"; do
            if [[ $a =~ ^([a-z]+://)?(127\.0\.0\.1|localhost):([0-9]+)(/.*)?$ ]]; then
              p=${BASH_REMATCH[3]}
              [[ $__listening == *" $p "* ]] && continue
              for ((i = 0; i < 300; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.2; done
              __listening+="$p "
            fi
          done
        }
        safewire() { __wait_for_server "$@"; SAFEWIRE "$@"; }
        curl() { __wait_for_server "$@"; command curl "$@"; }

        """;

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static IEnumerable<string> DocumentFiles() =>
        ((IEnumerable<string>)["README.md"]).Concat(Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal).Select(f => Path.Combine("docs", Path.GetFileName(f))));

    private static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SafeWire.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SafeWire.slnx not found above " + AppContext.BaseDirectory);
    }
}
