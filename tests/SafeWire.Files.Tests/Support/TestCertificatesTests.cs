namespace SafeWire.Files.Tests.Support;

/// <summary>The test CA holds a private key: it must not outlive the tests.</summary>
public sealed class TestCertificatesTests
{
    [Fact]
    public void DisposeDeletesTheFolderWithThePrivateKey()
    {
        var directory = Path.Combine(Path.GetTempPath(), "safewire-test-ca-" + Guid.NewGuid().ToString("N"));
        var certificates = new TestCertificates(directory);
        Assert.True(File.Exists(certificates.ServerKeyPemPath));
        certificates.Dispose();
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void TheSharedSetIsNotInAFolderNamedAfterTheProcess()
    {
        // It was safewire-test-ca-<pid>, never deleted; now a fresh temporary folder, deleted when the process exits.
        Assert.NotEqual("safewire-test-ca-" + Environment.ProcessId, Path.GetFileName(TestCertificates.Shared.Directory));
        Assert.True(Directory.Exists(TestCertificates.Shared.Directory));
    }
}
