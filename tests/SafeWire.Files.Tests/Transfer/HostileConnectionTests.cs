using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Transfer;

/// <summary>The file server under a slowloris flood: stalled connections must not starve real clients.</summary>
public sealed class HostileConnectionTests
{
    [Fact]
    public async Task AThousandSlowlorisSockets_DoNotStopLs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fixture = new TransferFixture();
        await File.WriteAllTextAsync(Path.Combine(fixture.Root, "here.txt"), "still served", ct);
        var host = fixture.StartSecureHost(["alice"]);

        // 1,000 connections (fewer if this process may not open that many files) from 125 other loopback addresses,
        // eight each: half send the first bytes of a record header and stall, half send nothing at all.
        int count = HostileConnections.Budget(1000);
        using var silent = await HostileConnections.OpenAsync(host.EndPoint.Port, count / 2, perAddress: 8, subnet: 20, ReadOnlyMemory<byte>.Empty, ct);
        using var slow = await HostileConnections.OpenAsync(host.EndPoint.Port, count - (count / 2), perAddress: 8, subnet: 21, new byte[] { 23, 0x57, 0x01 }, ct);
        Assert.True(silent.Count + slow.Count >= Math.Min(1000, count));

        int succeeded = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                await using var client = await fixture.ConnectSecureAsync(host, "alice").WaitAsync(TimeSpan.FromSeconds(5), ct);
                var entries = await client.ListAsync("/", ct).WaitAsync(TimeSpan.FromSeconds(5), ct);
                Assert.Contains(entries, e => e.Name == "here.txt");
                succeeded++;
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"attempt {attempt}: {e.Message}");
            }
        }

        Assert.True(succeeded >= 4, $"only {succeeded} of 5 listings succeeded while {silent.Count + slow.Count} slowloris sockets were open");
        Assert.True(host.Admission.PendingConnections <= host.Admission.Options.MaxPendingConnections);
    }
}
