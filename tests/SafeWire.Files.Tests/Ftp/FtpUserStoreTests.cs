using SafeWire.Files.Ftp;
using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Ftp;

public class FtpUserStoreTests
{
    /// <summary>A users file with alice (read-write, "secret") and bob (read-only, "hunter2"), and the store loaded from it.</summary>
    private static (FtpUserStore Store, string File) AliceAndBob(TempDirectory dir)
    {
        var file = dir["users"];
        FtpUserStore.AddOrReplace(file, "alice", "secret", readOnly: false, iterations: 1000);
        FtpUserStore.AddOrReplace(file, "bob", "hunter2", readOnly: true, iterations: 1000);
        return (FtpUserStore.Load(file), file);
    }

    [Fact]
    public void Added_users_authenticate_and_keep_their_read_only_flag()
    {
        using var dir = new TempDirectory();
        var (store, file) = AliceAndBob(dir);

        Assert.Equal(new FtpUser("alice", false), store.Authenticate("alice", "secret"));
        Assert.Equal(new FtpUser("bob", true), store.Authenticate("bob", "hunter2"));
        Assert.Null(store.Authenticate("alice", "Secret"));
        Assert.Null(store.Authenticate("carol", "secret"));
        Assert.DoesNotContain("secret", File.ReadAllText(file), StringComparison.Ordinal);
    }

    [Fact]
    public void A_remembered_login_lets_only_the_same_password_of_the_same_user_in_again()
    {
        using var dir = new TempDirectory();
        var (store, _) = AliceAndBob(dir);

        Assert.Equal(new FtpUser("alice", false), store.Authenticate("alice", "secret"));
        Assert.Equal(new FtpUser("alice", false), store.Authenticate("alice", "secret"));
        Assert.Null(store.Authenticate("alice", "Secret"));
        Assert.Null(store.Authenticate("alice", ""));
        Assert.Null(store.Authenticate("bob", "secret"));
        Assert.Null(store.Authenticate("carol", "secret"));
        Assert.Equal(new FtpUser("bob", true), store.Authenticate("bob", "hunter2"));
        Assert.Null(store.Authenticate("alice", "hunter2"));
        Assert.Equal(new FtpUser("alice", false), store.Authenticate("alice", "secret"));
    }

    [Fact]
    public void Adding_again_replaces_the_password()
    {
        using var dir = new TempDirectory();
        var file = dir["users"];
        FtpUserStore.AddOrReplace(file, "alice", "old", readOnly: false, iterations: 1000);
        FtpUserStore.AddOrReplace(file, "alice", "new", readOnly: true, iterations: 1000);
        var store = FtpUserStore.Load(file);
        Assert.Equal(1, store.Count);
        Assert.Null(store.Authenticate("alice", "old"));
        Assert.Equal(new FtpUser("alice", true), store.Authenticate("alice", "new"));
    }

    [Theory]
    [InlineData("alice:rw:pbkdf2-sha256:1000:AAAA")]
    [InlineData("alice:xx:pbkdf2-sha256:1000:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("alice:rw:md5:1000:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("alice:rw:pbkdf2-sha256:99999999999:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Malformed_lines_are_reported_with_their_line_number(string line)
    {
        using var dir = new TempDirectory();
        var file = dir["users"];
        File.WriteAllLines(file, ["# comment", line]);
        var error = Assert.Throws<FtpUserFileException>(() => FtpUserStore.Load(file));
        Assert.Contains(":2:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("../x")]
    public void Bad_user_names_are_refused(string name)
    {
        using var dir = new TempDirectory();
        Assert.Throws<FtpUserFileException>(() => FtpUserStore.AddOrReplace(dir["users"], name, "pw", readOnly: false, iterations: 1000));
    }

    [Fact]
    public void Edits_of_the_users_file_take_effect_at_the_next_login_without_a_restart()
    {
        using var dir = new TempDirectory();
        var (store, file) = AliceAndBob(dir);
        Assert.Equal(new FtpUser("alice", false), store.Authenticate("alice", "secret"));
        Assert.Null(store.Authenticate("carol", "pw"));

        // Added while the server runs: carol gets in at once.
        FtpUserStore.AddOrReplace(file, "carol", "pw", readOnly: true, iterations: 1000);
        Assert.Equal(new FtpUser("carol", true), store.Authenticate("carol", "pw"));
        Assert.Equal(3, store.Count);

        // A changed password: the old one is no longer let in, even though it was remembered from a login.
        FtpUserStore.AddOrReplace(file, "alice", "new-secret", readOnly: false, iterations: 1000);
        Assert.Null(store.Authenticate("alice", "secret"));
        Assert.Equal(new FtpUser("alice", false), store.Authenticate("alice", "new-secret"));

        // A removed account: its remembered password no longer works.
        File.WriteAllLines(file, File.ReadAllLines(file).Where(l => !l.StartsWith("bob:", StringComparison.Ordinal)));
        Assert.Null(store.Authenticate("bob", "hunter2"));
    }

    [Fact]
    public void A_users_file_edited_into_nonsense_or_deleted_lets_nobody_in_until_it_is_fixed()
    {
        using var dir = new TempDirectory();
        var (store, file) = AliceAndBob(dir);
        var good = File.ReadAllText(file);
        Assert.NotNull(store.Authenticate("alice", "secret"));

        File.AppendAllText(file, "this is not a user line\n");
        var damaged = Assert.Throws<FtpUserFileException>(() => store.Authenticate("alice", "secret"));
        Assert.Contains(":4: not a valid user line", damaged.Message, StringComparison.Ordinal);

        File.Delete(file);
        var missing = Assert.Throws<FtpUserFileException>(() => store.Authenticate("alice", "secret"));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);

        File.WriteAllText(file, good);
        Assert.Equal(new FtpUser("alice", false), store.Authenticate("alice", "secret"));
    }

    [Fact]
    public async Task Users_added_at_the_same_time_are_all_kept()
    {
        using var dir = new TempDirectory();
        var file = dir["users"];
        var names = Enumerable.Range(0, 8).Select(i => $"user{i}").ToList();

        await Task.WhenAll(names.Select(name => Task.Run(() => FtpUserStore.AddOrReplace(file, name, "pw-" + name, readOnly: false, iterations: 1000), TestContext.Current.CancellationToken)));

        var store = FtpUserStore.Load(file);
        Assert.Equal(names.Count, store.Count);
        Assert.All(names, name => Assert.Equal(new FtpUser(name, false), store.Authenticate(name, "pw-" + name)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal([Path.GetFileName(file), Path.GetFileName(file) + ".lock"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
