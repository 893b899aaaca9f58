using SafeWire.Identity;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Identity;

/// <summary>The identity verbs through the real executable, checked against openssl both ways.</summary>
public sealed class IdentityCliTests
{
    private static async Task<ProcessResult> SafeWire(string home, params string[] args)
    {
        var result = await SafeWireProcess.RunAsync(["--home", home, .. args]);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        return result;
    }

    private static async Task<string> Ok(string home, params string[] args)
    {
        var result = await SafeWire(home, args);
        Assert.True(result.ExitCode == 0, $"safewire {string.Join(' ', args)} exited {result.ExitCode}\n{result.Output}\n{result.Error}");
        return result.Output;
    }

    /// <summary>Fails with exit code 1 and exactly one line "safewire: ..." on stderr that contains <paramref name="expected"/>.</summary>
    private static async Task Fails(string home, string expected, params string[] args)
    {
        var result = await SafeWire(home, args);
        Assert.True(result.ExitCode != 0, $"safewire {string.Join(' ', args)} should have failed\n{result.Output}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("safewire: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitTwiceChangesNoFile()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        var first = await Ok(home, "init");
        Assert.Contains("created", first, StringComparison.Ordinal);
        var files = Directory.GetFiles(home, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).Order().ToList();
        Assert.Contains(Path.Combine(home, "ca", "ca.crt"), files);
        Assert.Contains(Path.Combine(home, "ca", "ca.key"), files);
        Assert.Contains(Path.Combine(home, "ca", "crl.pem"), files);
        Assert.Contains(Path.Combine(home, "keys", "node.key"), files);
        var before = files.Select(File.ReadAllBytes).ToList();

        var second = await Ok(home, "init");
        Assert.DoesNotContain("created", second, StringComparison.Ordinal);
        Assert.Equal(files, Directory.GetFiles(home, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).Order().ToList());
        Assert.Equal(before, files.Select(File.ReadAllBytes).ToList());

        // The fingerprints printed are the same both times.
        var fingerprint = KeyFile.Describe(Path.Combine(home, "keys", "node.pub")).Fingerprint;
        Assert.Contains(fingerprint, first, StringComparison.Ordinal);
        Assert.Contains(fingerprint, second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HomeComesFromTheEnvironmentWhenNotGiven()
    {
        using var dir = new TempDirectory();
        var result = await SafeWireProcess.RunAsync(["ca", "init", "--name", "Env CA"], environment: new Dictionary<string, string?> { ["SAFEWIRE_HOME"] = dir["envhome"] });
        Assert.Equal(0, result.ExitCode);
        Assert.True(File.Exists(dir["envhome/ca/ca.crt"]));
    }

    [Fact]
    public async Task CaIssueRevokeAndOpenSslAgrees()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        await Ok(home, "init");
        Assert.Contains("already exists", await Ok(home, "ca", "init"), StringComparison.Ordinal);
        var issued = await Ok(home, "cert", "issue", "web", "--server", "--dns", "localhost", "--ip", "127.0.0.1", "--days", "30");
        Assert.Contains("web.crt", issued, StringComparison.Ordinal);
        await Ok(home, "cert", "issue", "alice", "--client");
        var certs = Path.Combine(home, "certs");
        var ca = Path.Combine(home, "ca", "ca.crt");
        var crl = Path.Combine(home, "ca", "crl.pem");

        var text = await OpenSsl.OkAsync(dir.Path, "x509", "-in", Path.Combine(certs, "web.crt"), "-text", "-noout");
        Assert.Contains("DNS:localhost", text, StringComparison.Ordinal);
        Assert.Contains("IP Address:127.0.0.1", text, StringComparison.Ordinal);
        Assert.Contains("TLS Web Server Authentication", text, StringComparison.Ordinal);
        Assert.Contains("CA:FALSE", text, StringComparison.Ordinal);
        var caText = await OpenSsl.OkAsync(dir.Path, "x509", "-in", ca, "-text", "-noout");
        Assert.Contains("CA:TRUE", caText, StringComparison.Ordinal);
        Assert.Contains("Certificate Sign, CRL Sign", caText, StringComparison.Ordinal);
        Assert.Contains("TLS Web Client Authentication", await OpenSsl.OkAsync(dir.Path, "x509", "-in", Path.Combine(certs, "alice.crt"), "-text", "-noout"), StringComparison.Ordinal);

        var show = await Ok(home, "cert", "show", Path.Combine(certs, "web.crt"));
        Assert.Contains("localhost, 127.0.0.1", show, StringComparison.Ordinal);
        Assert.Contains(await OpenSsl.FingerprintAsync(dir.Path, Path.Combine(certs, "web.key")), show, StringComparison.Ordinal);

        await Ok(home, "cert", "verify", Path.Combine(certs, "web.crt"), "--name", "localhost");
        await Ok(home, "cert", "verify", Path.Combine(certs, "alice.crt"), "--name", "alice");
        await Fails(home, "NameMismatch", "cert", "verify", Path.Combine(certs, "web.crt"), "--name", "example.org");
        await Fails(home, "WrongKeyUsage", "cert", "verify", Path.Combine(certs, "alice.crt"), "--role", "server");

        var revoked = await Ok(home, "cert", "revoke", Path.Combine(certs, "alice.crt"));
        Assert.Contains("revoked", revoked, StringComparison.Ordinal);
        await Fails(home, "Revoked", "cert", "verify", Path.Combine(certs, "alice.crt"));

        Assert.Contains(": OK", await OpenSsl.OkAsync(dir.Path, "verify", "-CAfile", ca, "-CRLfile", crl, "-crl_check", Path.Combine(certs, "web.crt")), StringComparison.Ordinal);
        var (code, output) = await OpenSsl.RunAsync(dir.Path, "verify", "-CAfile", ca, "-CRLfile", crl, "-crl_check", Path.Combine(certs, "alice.crt"));
        Assert.NotEqual(0, code);
        Assert.Contains("certificate revoked", output, StringComparison.Ordinal);

        using var alice = CertificateFile.Read(Path.Combine(certs, "alice.crt"));
        var crlText = await OpenSsl.OkAsync(dir.Path, "crl", "-in", crl, "-text", "-noout");
        Assert.Contains("Serial Number: " + alice.SerialNumber, crlText, StringComparison.Ordinal);
        Assert.Contains("X509v3 CRL Number", crlText, StringComparison.Ordinal);
        await OpenSsl.OkAsync(dir.Path, "crl", "-in", crl, "-CAfile", ca, "-noout"); // signature checks out

        // Revoking a made-up serial is refused unless insisted on (--force), then bumps the CRL again; a bad serial is one clear line.
        await Fails(home, "no certificate with serial 0A0B0C", "cert", "revoke", "0A:0B:0C");
        await Ok(home, "cert", "revoke", "0A:0B:0C", "--force");
        Assert.Contains("0A0B0C", await OpenSsl.OkAsync(dir.Path, "crl", "-in", crl, "-text", "-noout"), StringComparison.Ordinal);
        await Fails(home, "not a serial number", "cert", "revoke", "xyz");
    }

    [Fact]
    public async Task OpenSslReadsOurKeysPlainAndEncrypted()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        File.WriteAllText(dir["pw.txt"], "s3cret pass\n");
        File.WriteAllText(dir["wrong.txt"], "nope\n");
        await Ok(home, "ca", "init", "--password-file", dir["pw.txt"]);
        await Ok(home, "cert", "issue", "carol", "--client", "--password-file", dir["pw.txt"], "--key-password-file", dir["pw.txt"]);
        await Ok(home, "keys", "new", "plain");
        await Ok(home, "keys", "new", "big", "--rsa", "--password-file", dir["pw.txt"]);

        var caKey = Path.Combine(home, "ca", "ca.key");
        Assert.Contains("ENCRYPTED PRIVATE KEY", File.ReadAllText(caKey), StringComparison.Ordinal);
        await OpenSsl.OkAsync(dir.Path, "pkey", "-in", caKey, "-passin", "file:" + dir["pw.txt"], "-noout");
        var (code, _) = await OpenSsl.RunAsync(dir.Path, "pkey", "-in", caKey, "-passin", "file:" + dir["wrong.txt"], "-noout");
        Assert.NotEqual(0, code);

        var plain = Path.Combine(home, "keys", "plain.key");
        Assert.Contains("ASN1 OID: prime256v1", await OpenSsl.OkAsync(dir.Path, "pkey", "-in", plain, "-text", "-noout"), StringComparison.Ordinal);
        Assert.Contains(await OpenSsl.FingerprintAsync(dir.Path, plain), await Ok(home, "keys", "show", "plain"), StringComparison.Ordinal);

        var big = Path.Combine(home, "keys", "big.key");
        Assert.Contains("3072 bit", await OpenSsl.OkAsync(dir.Path, "pkey", "-in", big, "-passin", "file:" + dir["pw.txt"], "-text", "-noout"), StringComparison.Ordinal);
        var bigShow = await Ok(home, "keys", "show", big, "--password-file", dir["pw.txt"]);
        Assert.Contains("3072", bigShow, StringComparison.Ordinal);
        Assert.Contains(await OpenSsl.FingerprintAsync(dir.Path, big, "-passin", "file:" + dir["pw.txt"]), bigShow, StringComparison.Ordinal);

        var carolKey = Path.Combine(home, "certs", "carol.key");
        await OpenSsl.OkAsync(dir.Path, "pkey", "-in", carolKey, "-passin", "file:" + dir["pw.txt"], "-noout");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(carolKey));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(caKey));
        }

        // Encrypted CA key: issuing without or with the wrong password is one clear line.
        await Fails(home, "encrypted", "cert", "issue", "dan", "--client");
        await Fails(home, "wrong password", "cert", "issue", "dan", "--client", "--password-file", dir["wrong.txt"]);
        // --ask-password reads one line of standard input when it is not a terminal.
        var asked = await SafeWireProcess.RunAsync(["--home", home, "keys", "show", big, "--ask-password"], standardInput: "s3cret pass\n");
        Assert.Equal(0, asked.ExitCode);
    }

    [Fact]
    public async Task OpenSslKeysAndCsrsAreAcceptedByUs()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        await Ok(home, "init");
        await OpenSsl.OkAsync(dir.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", dir["ossl.key"]);
        await OpenSsl.OkAsync(dir.Path, "ecparam", "-name", "prime256v1", "-genkey", "-out", dir["sec1.key"]);
        await OpenSsl.OkAsync(dir.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-256-cbc", "-pass", "pass:hunter2", "-out", dir["enc.key"]);
        File.WriteAllText(dir["pw.txt"], "hunter2");

        var show = await Ok(home, "keys", "show", dir["ossl.key"]);
        Assert.Contains("ECDSA P-256", show, StringComparison.Ordinal);
        Assert.Contains(await OpenSsl.FingerprintAsync(dir.Path, dir["ossl.key"]), show, StringComparison.Ordinal);
        Assert.Contains(await OpenSsl.FingerprintAsync(dir.Path, dir["sec1.key"]), await Ok(home, "keys", "show", dir["sec1.key"]), StringComparison.Ordinal);
        Assert.Contains(await OpenSsl.FingerprintAsync(dir.Path, dir["enc.key"], "-passin", "pass:hunter2"),
            await Ok(home, "keys", "show", dir["enc.key"], "--password-file", dir["pw.txt"]), StringComparison.Ordinal);

        await OpenSsl.OkAsync(dir.Path, "req", "-new", "-key", dir["ossl.key"], "-subj", "/CN=dave", "-out", dir["dave.csr"]);
        var issued = await Ok(home, "cert", "issue", "dave", "--client", "--csr", dir["dave.csr"], "--out", dir.Path);
        Assert.DoesNotContain("private key", issued, StringComparison.Ordinal);
        Assert.False(File.Exists(dir["dave.key"]));
        await OpenSsl.OkAsync(dir.Path, "verify", "-CAfile", Path.Combine(home, "ca", "ca.crt"), "-CRLfile", Path.Combine(home, "ca", "crl.pem"), "-crl_check", dir["dave.crt"]);
        await Ok(home, "cert", "verify", dir["dave.crt"], "--name", "dave");

        // And our library's verifier accepts the openssl key's certificate, bound to that key.
        var verifier = new SafeWireHome(home).CreateCaVerifier();
        using var certificate = CertificateFile.Read(dir["dave.crt"]);
        var identity = verifier.Verify(PeerCredential.FromCertificateChain([certificate.RawData]), new PeerVerificationContext(PeerRole.Client, "dave", DateTimeOffset.UtcNow));
        Assert.Equal(await OpenSsl.FingerprintAsync(dir.Path, dir["ossl.key"]), identity.Fingerprint);
    }

    [Fact]
    public async Task BadInputIsOneClearLine()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        await Ok(home, "init");
        await Ok(home, "cert", "issue", "web", "--server", "--key-password-file", WritePassword(dir, "pw.txt", "right"));
        var certs = Path.Combine(home, "certs");
        File.WriteAllText(dir["wrong.txt"], "wrong");
        File.WriteAllText(dir["corrupt.pem"], "this is not PEM at all\n");
        var certText = File.ReadAllText(Path.Combine(certs, "web.crt"));
        File.WriteAllText(dir["truncated.crt"], certText[..(certText.Length / 2)]);
        File.WriteAllText(dir["badbase64.crt"], "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n");
        File.WriteAllBytes(dir["empty.crt"], []);
        await OpenSsl.OkAsync(dir.Path, "genpkey", "-algorithm", "ed25519", "-out", dir["ed.key"]);
        await OpenSsl.OkAsync(dir.Path, "req", "-new", "-x509", "-key", dir["ed.key"], "-subj", "/CN=ed", "-days", "1", "-out", dir["ed.crt"]);
        await OpenSsl.OkAsync(dir.Path, "req", "-new", "-key", dir["ed.key"], "-subj", "/CN=ed", "-out", dir["ed.csr"]);

        await Fails(home, "not a valid PEM", "keys", "show", dir["corrupt.pem"]);
        await Fails(home, "not a valid PEM", "cert", "show", dir["corrupt.pem"]);
        await Fails(home, "wrong password", "keys", "show", Path.Combine(certs, "web.key"), "--password-file", dir["wrong.txt"]);
        await Fails(home, "encrypted", "keys", "show", Path.Combine(certs, "web.key"));
        await Fails(home, "truncated", "cert", "show", dir["truncated.crt"]);
        await Fails(home, "truncated", "cert", "verify", dir["truncated.crt"]);
        await Fails(home, "corrupt", "cert", "show", dir["badbase64.crt"]);
        await Fails(home, "no PEM block", "cert", "show", dir["empty.crt"]);
        await Fails(home, "holds a private key, not a certificate", "cert", "show", Path.Combine(certs, "web.key"));
        await Fails(home, "holds a private key, not a certificate", "cert", "verify", Path.Combine(certs, "web.key"));
        await Fails(home, "unsupported key algorithm Ed25519", "keys", "show", dir["ed.key"]);
        await Fails(home, "unsupported key algorithm Ed25519", "cert", "show", dir["ed.crt"]);
        await Fails(home, "Malformed", "cert", "verify", dir["ed.crt"]);
        await Fails(home, "unsupported key algorithm Ed25519", "cert", "issue", "ed", "--client", "--csr", dir["ed.csr"]);
        await Fails(home, "unsupported key algorithm Ed25519", "allow", "add", dir["ed.key"], "--name", "ed");
        await Fails(home, "no such", "cert", "show", dir["missing.crt"]);
        await Fails(home, "no such", "keys", "show", dir["missing.key"]);
        await Fails(home, "no such password file", "keys", "show", Path.Combine(certs, "web.key"), "--password-file", dir["missing.txt"]);
        await Fails(home, "already exists", "cert", "issue", "web", "--server");
        await Fails(home, "not a usable name", "keys", "new", "../escape");

        // Usage errors come from the parser: non-zero, no stack trace.
        var usage = await SafeWire(home, "cert", "issue", "x");
        Assert.NotEqual(0, usage.ExitCode);
        Assert.Contains("--server or --client", usage.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowAddListRemoveAndImport()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        await Ok(home, "init");
        await Ok(home, "cert", "issue", "alice", "--client");
        await Ok(home, "keys", "new", "bob");
        var aliceFingerprint = KeyFile.Describe(Path.Combine(home, "certs", "alice.crt")).Fingerprint;
        var bobFingerprint = KeyFile.Describe(Path.Combine(home, "keys", "bob.pub")).Fingerprint;

        await Ok(home, "allow", "add", Path.Combine(home, "certs", "alice.crt"), "--name", "alice");
        await Ok(home, "allow", "add", bobFingerprint, "--name", "bob", "--comment", "by fingerprint");
        var list = await Ok(home, "allow", "list");
        Assert.Contains(aliceFingerprint, list, StringComparison.Ordinal);
        Assert.Contains(bobFingerprint, list, StringComparison.Ordinal);
        Assert.Contains("by fingerprint", list, StringComparison.Ordinal);
        var file = AllowList.Load(Path.Combine(home, "allowed.txt"));
        Assert.Equal(["alice", "bob"], file.Entries.Select(e => e.Name));

        await Ok(home, "allow", "remove", "bob");
        Assert.DoesNotContain(bobFingerprint, await Ok(home, "allow", "list"), StringComparison.Ordinal);
        await Fails(home, "not on the allow-list", "allow", "remove", "bob");
        await Fails(home, "not a valid fingerprint", "allow", "add", "SHA256:tooshort", "--name", "x");

        var pem = File.ReadAllText(Path.Combine(home, "keys", "bob.pub")).Trim();
        File.WriteAllText(dir["allowed.csv"], $"name,public_key\nbob,\"{pem}\"\n");
        Assert.Contains("imported 1 key", await Ok(home, "allow", "import", dir["allowed.csv"]), StringComparison.Ordinal);
        Assert.Equal("bob", AllowList.Load(Path.Combine(home, "allowed.txt")).Find(bobFingerprint)?.Name);
    }

    private static string WritePassword(TempDirectory dir, string name, string password)
    {
        File.WriteAllText(dir[name], password + "\n");
        return dir[name];
    }
}
