using System.Diagnostics;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Docker;

/// <summary>
/// The repository's Dockerfile and docker-compose.yml, run for real: an image with the native safewire on a base
/// built from Debian packages (scripts/docker-base-image.sh; nothing is pulled), then <c>docker-compose up -d</c>
/// (server and client), the client's message in the server's console log, and <c>docker-compose down</c> leaving
/// nothing behind. Needs a running Docker engine, docker-compose, debootstrap and the native executable
/// (SAFEWIRE_EXE); .ci/run provides them. Elsewhere the test is skipped with the reason, except under CI=true.
/// </summary>
public sealed class DockerComposeTests
{
    private const string BaseImage = "safewire-base:bookworm";
    internal static readonly string Root = FindRoot();
    internal static readonly string Docker = Environment.GetEnvironmentVariable("SAFEWIRE_DOCKER") is { Length: > 0 } docker ? docker : "docker";

    [Fact]
    public async Task ComposeUpRunsServerAndClientAndDownCleansUp()
    {
        var native = await RequireDockerAsync();
        var project = $"safewiretest{Environment.ProcessId}";
        var image = $"safewire-test:{Environment.ProcessId}";
        using var context = new TempDirectory();
        var publish = Directory.CreateDirectory(context["docker-publish"]).FullName;
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(native)!).Where(f => Path.GetFileName(f) == "safewire" || f.EndsWith(".so", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(publish, Path.GetFileName(file)));
        }

        var baseImage = await RunAsync(Path.Combine(Root, "scripts", "docker-base-image.sh"), [BaseImage], TimeSpan.FromMinutes(15));
        Assert.True(baseImage.ExitCode == 0, "base image: " + baseImage.Error);

        var compose = new Dictionary<string, string?>
        {
            ["SAFEWIRE_IMAGE"] = image,
            ["SAFEWIRE_PORT"] = $"127.0.0.1:{FreePort.Next()}",
            ["COMPOSE_PROJECT_NAME"] = project,
        };
        string[] composeFile = ["-f", Path.Combine(Root, "docker-compose.yml"), "-p", project];
        try
        {
            var build = await RunAsync(Docker, ["build", "-q", "--build-arg", $"BASE_IMAGE={BaseImage}", "--build-arg", "SAFEWIRE_BUILD=prebuilt", "-f", Path.Combine(Root, "Dockerfile"), "-t", image, context.Path], TimeSpan.FromMinutes(10), new() { ["DOCKER_BUILDKIT"] = "1" });
            Assert.True(build.ExitCode == 0, "docker build: " + build.Error);

            // The image runs the native safewire on the Debian base.
            var version = await RunAsync(Docker, ["run", "--rm", image, "--help"], TimeSpan.FromMinutes(2));
            Assert.True(version.ExitCode == 0, "safewire --help in the container: " + version.Error);
            Assert.Contains("serve", version.Output, StringComparison.Ordinal);

            var up = await RunAsync("docker-compose", [.. composeFile, "up", "-d", "--no-build"], TimeSpan.FromMinutes(5), compose);
            Assert.True(up.ExitCode == 0, "docker-compose up: " + up.Error);

            // Wait for the event (the line in the server's log), bounded so a broken setup cannot hang the run.
            string log = string.Empty;
            var deadline = Stopwatch.StartNew();
            while (!log.Contains("docker-client: Hello from the client container", StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromMinutes(3))
            {
                await Task.Delay(500, TestContext.Current.CancellationToken);
                log = (await RunAsync("docker-compose", [.. composeFile, "logs", "--no-color", "server"], TimeSpan.FromMinutes(1), compose)).Output;
            }

            Assert.Contains("SafeWire chat server \"server\" on 0.0.0.0:10101", log, StringComparison.Ordinal);
            Assert.Contains("docker-client joined from", log, StringComparison.Ordinal);
            Assert.Contains("docker-client: Hello from the client container", log, StringComparison.Ordinal);

            var client = (await RunAsync("docker-compose", [.. composeFile, "ps", "-q", "client"], TimeSpan.FromMinutes(1), compose)).Output.Trim();
            var exit = await RunAsync(Docker, ["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", client], TimeSpan.FromMinutes(1));
            Assert.Equal("exited 0", exit.Output.Trim());
        }
        finally
        {
            var down = await RunAsync("docker-compose", [.. composeFile, "down", "-v", "--timeout", "5"], TimeSpan.FromMinutes(3), compose);
            await RunAsync(Docker, ["rmi", "-f", image], TimeSpan.FromMinutes(2));
            Assert.True(down.ExitCode == 0, "docker-compose down: " + down.Error);
        }

        var label = $"label=com.docker.compose.project={project}";
        Assert.Equal(string.Empty, (await RunAsync(Docker, ["ps", "-a", "-q", "--filter", label], TimeSpan.FromMinutes(1))).Output.Trim());
        Assert.Equal(string.Empty, (await RunAsync(Docker, ["network", "ls", "-q", "--filter", label], TimeSpan.FromMinutes(1))).Output.Trim());
        Assert.Equal(string.Empty, (await RunAsync(Docker, ["volume", "ls", "-q", "--filter", label], TimeSpan.FromMinutes(1))).Output.Trim());
    }

    /// <summary>The native executable to put in the image; skips (or fails under CI=true) when something is missing.</summary>
    private static async Task<string> RequireDockerAsync()
    {
        string? reason = null;
        var native = Environment.GetEnvironmentVariable(SafeWireProcess.NativeExecutableVariable);
        if (string.IsNullOrEmpty(native) || !File.Exists(native))
        {
            reason = $"no native safewire: set {SafeWireProcess.NativeExecutableVariable} to one built by scripts/publish-native.sh";
        }
        else if (!OnPath("docker-compose") || !OnPath("debootstrap") && !File.Exists("/usr/sbin/debootstrap"))
        {
            reason = "docker-compose or debootstrap is not installed (Debian: apt-get install docker.io docker-compose debootstrap)";
        }
        else
        {
            try
            {
                var info = await RunAsync(Docker, ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromMinutes(1));
                if (info.ExitCode != 0)
                {
                    reason = "no Docker engine answers (start dockerd): " + info.Error.Trim();
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                reason = "docker is not installed (Debian: apt-get install docker.io)";
            }
        }

        if (reason is null)
        {
            return native!;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("Docker test cannot run under CI: " + reason);
        }

        Assert.Skip("Docker test NOT RUN: " + reason);
        return string.Empty;
    }

    private static bool OnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
        .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, name)));

    private static async Task<ProcessResult> RunAsync(string program, string[] args, TimeSpan timeout, Dictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    private static string FindRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SafeWire.slnx")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException("The repository root (SafeWire.slnx) is not above the test assembly.");
    }
}
