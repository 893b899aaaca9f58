using System.Diagnostics;
using System.Security.Cryptography;

namespace SafeWire.Cli.Tests.Identity;

/// <summary>Runs the real openssl (installed by .ci/run) with a timeout.</summary>
internal static class OpenSsl
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("openssl did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("openssl " + string.Join(' ', args) + " did not finish");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public static async Task<string> OkAsync(string workingDirectory, params string[] args)
    {
        var (code, output) = await RunAsync(workingDirectory, args);
        Xunit.Assert.True(code == 0, $"openssl {string.Join(' ', args)} failed ({code}):\n{output}");
        return output;
    }

    /// <summary>SHA256:… of the public key of a key file, computed by openssl's DER export (independent of our code).</summary>
    public static async Task<string> FingerprintAsync(string workingDirectory, string keyFile, params string[] extra)
    {
        var der = Path.Combine(workingDirectory, Path.GetFileName(keyFile) + ".spki.der");
        await OkAsync(workingDirectory, ["pkey", "-in", keyFile, "-pubout", "-outform", "DER", "-out", der, .. extra]);
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(await File.ReadAllBytesAsync(der))).TrimEnd('=');
    }
}
