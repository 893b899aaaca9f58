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
    public async Task Zero_config_serve_uses_the_home_ca_and_keeps_its_certificate()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        var root = dir["root"];
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "readme.txt"), "anonymous can read this");
        var fingerprints = new List<string>();
        for (var run = 0; run < 2; run++)
        {
            var port = FreePort.Next();
            await using var server = SafeWireProcess.Start(["--home", home, "ftp", "serve", "--root", root, "--port", Text(port)]);
            await server.WaitForOutputAsync("Press Ctrl+C");
            fingerprints.Add(server.Output.Split('\n').Single(l => l.StartsWith("Key fingerprint:", StringComparison.Ordinal)));
            Assert.Contains("Logins: anonymous, read-only", server.Output, StringComparison.Ordinal);

            var caFile = Path.Combine(home, "ca", "ca.crt");
            var download = await ExternalTool.RunAsync("curl", ["-sS", "--noproxy", "*", "--ssl-reqd", "--cacert", caFile, $"ftp://127.0.0.1:{port}/readme.txt"]);
            Assert.True(download.ExitCode == 0, download + server.Output);
            Assert.Equal("anonymous can read this", download.Output);

            var upload = await ExternalTool.RunAsync("curl", ["-sS", "--noproxy", "*", "--ssl-reqd", "--cacert", caFile, "-T", Path.Combine(root, "readme.txt"), $"ftp://127.0.0.1:{port}/copy.txt"]);
            Assert.NotEqual(0, upload.ExitCode);
            Assert.False(File.Exists(Path.Combine(root, "copy.txt")));
        }

        Assert.Equal(fingerprints[0], fingerprints[1]);
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

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("safewire: --pasv-ports 9-3: not a range LOW-HIGH of ports (1-65535)", result.Error.Trim());
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

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("safewire: The users file", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
