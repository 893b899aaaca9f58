using System.Net.Sockets;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Server;
using SafeWire.Protocol;
using SafeWire.Transport;

namespace SafeWire.Chat.Tests;

/// <summary>The chat server's admission: stalled clients are told handshake_timeout, places never leak, floods log little.</summary>
public sealed class ChatAdmissionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AClientThatStallsMidHandshake_ReceivesHandshakeTimeout_NotASilentClose()
    {
        using var pki = new SecureChatFixture();
        var authenticator = new SecureStreamAuthenticator(
            new SecureServerOptions { ServerCredential = pki.ServerCredential, ClientVerifier = new OpenAdmissionVerifier(), HandshakeTimeout = TimeSpan.FromSeconds(1) },
            client: null);
        await using var harness = new ChatTestHarness(o => o.HandshakeTimeout = TimeSpan.FromSeconds(1), authenticator);

        using var stalled = new TcpClient();
        await stalled.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
        await stalled.GetStream().WriteAsync(new byte[] { 22, 0x57, 0x01, 0, 0 }, Ct); // half a record header, then nothing
        var received = await ReadToEndAsync(stalled.GetStream()).WaitAsync(ChatTestHarness.Timeout, Ct);

        Assert.Equal(SecureListener.AlertRecord(Alert.HandshakeTimeout), received);
    }

    [Fact]
    public async Task ASilentClient_ReceivesHandshakeTimeout()
    {
        await using var harness = new ChatTestHarness(o => o.Admission = new AdmissionOptions { FirstBytesTimeout = TimeSpan.FromMilliseconds(300) });

        using var silent = new TcpClient();
        await silent.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
        var received = await ReadToEndAsync(silent.GetStream()).WaitAsync(ChatTestHarness.Timeout, Ct);

        Assert.Equal(SecureListener.AlertRecord(Alert.HandshakeTimeout), received);
    }

    [Fact]
    public async Task Places_AreFreed_WhateverEndsAConnection_AndARefusalFloodRaisesOneSummary()
    {
        await using var harness = new ChatTestHarness(o =>
        {
            o.HandshakeTimeout = TimeSpan.FromMinutes(5);
            o.Admission = new AdmissionOptions { MaxPendingPerAddress = 1, FirstBytesTimeout = TimeSpan.FromMinutes(5), LogInterval = TimeSpan.FromHours(1) };
        });
        var alice = await harness.ConnectAsync("alice");

        // One silent connection holds the only place of 127.0.0.1 before the handshake: 50 more are refused.
        using (var silent = new TcpClient())
        {
            await silent.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
            await ChatTestHarness.Until(() => harness.Server.Admission.PendingConnections == 1, "the silent connection admitted");
            for (int i = 0; i < 50; i++)
            {
                using var refused = new TcpClient();
                await refused.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
                Assert.Equal(SecureListener.AlertRecord(Alert.ServerBusy), await ReadToEndAsync(refused.GetStream()).WaitAsync(ChatTestHarness.Timeout, Ct));
            }
        }

        await ChatTestHarness.Until(() => harness.Server.Admission.OpenConnections == 1, "only alice's connection left open");
        Assert.Equal(50, harness.Server.Admission.RefusedConnections);
        Assert.Single(harness.Events.OfType<AdmissionSummary>()); // the first refusal; the other 49 wait for the interval's summary
        var ack = await alice.Client.SendAsync("still here", Ct).WaitAsync(ChatTestHarness.Timeout, Ct);
        Assert.Equal(0u, ack.DeliveredTo);
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        var all = new MemoryStream();
        var buffer = new byte[256];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, Ct)) > 0)
            {
                all.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
        }

        return all.ToArray();
    }
}
