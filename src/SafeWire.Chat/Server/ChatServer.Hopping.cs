using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SafeWire.Chat.Session;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Server;

/// <summary>
/// Port hopping (from the original design): after the handshake on the control port the server opens a fresh port, sends its
/// number inside the encrypted session, and waits there for a new SafeWire handshake whose first frame is the
/// control session's exporter value for that port. Anything else on the hop port is dropped; the port closes
/// when the client arrives or after <see cref="ChatServerOptions.HopTimeout"/>.
/// </summary>
public sealed partial class ChatServer
{
    private const int HopPortAttempts = 64;

    private async Task<ConnectedTransport?> HopAsync(ClientConnection client, ConnectedTransport control, PortRange range)
    {
        var listener = OpenHopListener(range);
        var hopPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var expected = new byte[ChatLimits.HopProofLength];
        var winner = new TaskCompletionSource<ConnectedTransport>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var window = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        window.CancelAfter(_options.HopTimeout);
        var attempts = new List<Task>();
        Task? acceptLoop = null;
        try
        {
            HopProof.Compute(control.Channel, hopPort, expected);
            control.Session.Sending(ChatFrameType.HopOffer);
            await control.Frames.WriteAsync(new HopOfferMessage((ushort)hopPort), window.Token).ConfigureAwait(false);
            Raise(new HopPortOffered(Now, client.Name, control.LocalPort, hopPort));
            acceptLoop = AcceptOnHopPortAsync(listener, hopPort, control, expected, winner, attempts, window.Token);
            using (window.Token.Register(() => winner.TrySetCanceled()))
            {
                try
                {
                    var hopped = await winner.Task.ConfigureAwait(false);
                    Raise(new HopCompleted(Now, client.Id, client.Name, hopPort));
                    return hopped;
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref _refused);
                    Raise(new ClientRefused(Now, control.RemoteEndPoint, client.Name, $"hop port {hopPort} closed: the client did not prove itself there within {_options.HopTimeout.TotalSeconds:0.#} s"));
                    return null;
                }
            }
        }
        finally
        {
            listener.Stop();
            await window.CancelAsync().ConfigureAwait(false);
            if (acceptLoop is not null)
            {
                await acceptLoop.ConfigureAwait(false);
            }

            Task[] running;
            lock (attempts)
            {
                running = [.. attempts];
            }

            await Task.WhenAll(running).ConfigureAwait(false);
            CryptographicOperations.ZeroMemory(expected);
        }
    }

    private TcpListener OpenHopListener(PortRange range)
    {
        var span = range.High - range.Low + 1;
        for (var attempt = 0; attempt < Math.Min(HopPortAttempts, span); attempt++)
        {
            var port = range.Low + RandomNumberGenerator.GetInt32(span);
            if (port == Port)
            {
                continue;
            }

            var listener = new TcpListener(_options.Address, port);
            try
            {
                listener.Start(backlog: 8);
                return listener;
            }
            catch (SocketException)
            {
                listener.Dispose(); // in use; try another
            }
        }

        throw new IOException($"No free hop port found in {range} after {HopPortAttempts} tries.");
    }

    private async Task AcceptOnHopPortAsync(TcpListener listener, int hopPort, ConnectedTransport control, byte[] expected, TaskCompletionSource<ConnectedTransport> winner, List<Task> attempts, CancellationToken window)
    {
        while (!window.IsCancellationRequested && !winner.Task.IsCompleted)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(window).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            var attempt = VerifyHopConnectionAsync(socket, hopPort, control, expected, winner);
            lock (attempts)
            {
                attempts.Add(attempt);
            }
        }
    }

    /// <summary>Handshake, then the proof: the exporter value of the control session and the same client key.</summary>
    private async Task VerifyHopConnectionAsync(Socket socket, int hopPort, ConnectedTransport control, byte[] expected, TaskCompletionSource<ConnectedTransport> winner)
    {
        ConnectedTransport? transport = null;
        IPEndPoint? remote = null;
        var won = false;
        try
        {
            await Task.Yield();
            remote = socket.RemoteEndPoint as IPEndPoint;
            transport = remote is null ? null : await HandshakeAsync(socket, remote, hopPort, ChatSessionState.AwaitingHopProof, lease: null).ConfigureAwait(false);
            if (transport is null)
            {
                return;
            }

            var proof = await ReadFirstAsync<HopProofMessage>(transport, lease: null).ConfigureAwait(false);
            var sameKey = control.Channel.RemoteIdentity?.Fingerprint == transport.Channel.RemoteIdentity?.Fingerprint;
            if (CryptographicOperations.FixedTimeEquals(proof.Proof, expected) && sameKey && winner.TrySetResult(transport))
            {
                won = true;
                return;
            }

            Failed(remote, hopPort, "unproven connection on the hop port dropped (wrong session proof)");
            await RefuseAsync(transport, new RefusedMessage(RefusalReason.HopProofInvalid, "this port belongs to another session; connection dropped"), null).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            Failed(remote, hopPort, "unproven connection on the hop port dropped: " + Describe(e));
        }
        finally
        {
            if (transport is null)
            {
                socket.Dispose();
            }
            else if (!won)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
