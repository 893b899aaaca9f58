using SafeWire.Files.Ftp;
using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>The running FTP server follows its users file: no restart after `safewire ftp user add` or an edit.</summary>
public sealed class UsersFileLiveTests
{
    [Fact]
    public async Task A_user_added_while_the_server_runs_logs_in_and_a_damaged_file_refuses_everyone_with_a_reason()
    {
        await using var server = FtpTestServer.Start();
        FtpUserStore.AddOrReplace(server.UsersFile, "carol", "carol-pw-1", readOnly: true, iterations: 1000);
        await using (var carol = await ImplicitClient.ConnectAsync(server.ImplicitPort))
        {
            await carol.LoginAsync("carol", "carol-pw-1");
        }

        var good = await File.ReadAllTextAsync(server.UsersFile, TestContext.Current.CancellationToken);
        await File.AppendAllTextAsync(server.UsersFile, "carol:rw\n", TestContext.Current.CancellationToken);
        await using (var alice = await ImplicitClient.ConnectAsync(server.ImplicitPort))
        {
            Assert.StartsWith("331 ", await alice.CommandAsync("USER " + FtpTestServer.Writer), StringComparison.Ordinal);
            var refused = await alice.CommandAsync("PASS " + FtpTestServer.WriterPassword);
            Assert.Equal("530 Login refused: the server's users file cannot be read; ask its admin to fix it.", refused);
        }

        Assert.Contains("not a valid user line", server.Log, StringComparison.Ordinal);
        await File.WriteAllTextAsync(server.UsersFile, good, TestContext.Current.CancellationToken);
        await using var again = await ImplicitClient.ConnectAsync(server.ImplicitPort);
        await again.LoginAsync();
    }
}
