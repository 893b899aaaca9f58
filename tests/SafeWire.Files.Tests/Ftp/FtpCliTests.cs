using System.Globalization;
using SafeWire.Files.Tests.Support;
using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>The real <c>safewire ftp</c> executable: user add, serve, and curl through it.</summary>
public sealed class FtpCliTests
{
    [Fact]
    public async Task User_add_then_serve_then_curl_round_trip()
    {
        using var dir = new TempDirectory();
        var root = dir["root"];
        Directory.CreateDirectory(root);
        var users = dir["users.txt"];

        var add = await SafeWireProcess.RunAsync(["ftp", "user", "add", "carol", "--users", users, "--password-stdin"], standardInput: "s3cret-pass\n");
        Assert.True(add.ExitCode == 0, add.Error);
        Assert.DoesNotContain("s3cret-pass", File.ReadAllText(users), StringComparison.Ordinal);

        var port = FreePort.Next();
        var implicitPort = FreePort.Next();
        await using var server = SafeWireProcess.Start(
        [
            "ftp", "serve", "--root", root, "--port", Text(port), "--implicit-port", Text(implicitPort), "--users", users,
            "--cert", TestCertificates.Shared.ServerCertPemPath, "--key", TestCertificates.Shared.ServerKeyPemPath,
        ]);
        await server.WaitForOutputAsync("Press Ctrl+C");
        Assert.Contains($"listening on 127.0.0.1:{port}", server.Output, StringComparison.Ordinal);
        Assert.Contains($"listening on 127.0.0.1:{implicitPort}", server.Output, StringComparison.Ordinal);
        Assert.Contains("SHA-256 " + TestCertificates.Shared.Server.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), server.Output, StringComparison.Ordinal);

        var source = TestFiles.Random(dir["source.bin"], 700_000, seed: 5);
        string[] common = ["-sS", "--noproxy", "*", "--max-time", "60", "--cacert", TestCertificates.Shared.CaPemPath, "--user", "carol:s3cret-pass"];
        var upload = await ExternalTool.RunAsync("curl", [.. common, "--ssl-reqd", "-T", source, $"ftp://127.0.0.1:{port}/up.bin"]);
        Assert.True(upload.ExitCode == 0, upload + server.Output);
        var download = await ExternalTool.RunAsync("curl", [.. common, "-o", dir["down.bin"], $"ftps://127.0.0.1:{implicitPort}/up.bin"]);
        Assert.True(download.ExitCode == 0, download + server.Output);

        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(root, "up.bin")));
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(dir["down.bin"]));
        Assert.Contains("logged in as carol", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_arguments_give_one_line_and_a_nonzero_exit()
    {
        using var dir = new TempDirectory();
        var result = await SafeWireProcess.RunAsync(
        [
            "ftp", "serve", "--root", dir.Path, "--pasv-ports", "9-3",
            "--cert", TestCertificates.Shared.ServerCertPemPath, "--key", TestCertificates.Shared.ServerKeyPemPath,
        ]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --pasv-ports 9-3 is not a range LOW-HIGH of ports (1-65535).", result.Error.Trim());
    }

    [Fact]
    public async Task Missing_users_file_is_reported()
    {
        using var dir = new TempDirectory();
        var result = await SafeWireProcess.RunAsync(
        [
            "ftp", "serve", "--root", dir.Path, "--users", dir["nope.txt"],
            "--cert", TestCertificates.Shared.ServerCertPemPath, "--key", TestCertificates.Shared.ServerKeyPemPath,
        ]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: The users file", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
