using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Voting;

/// <summary>
/// Puts the voting exchange on a SafeWire channel: the server is authenticated by its certificate (issued by the
/// election host's CA, whose certificate each voter got in the credential); voters are not authenticated by the
/// channel but by the ballot signature with their registered key.
/// </summary>
public static class VoteTransport
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Server side: runs the handshake on an accepted connection.</summary>
    public static async Task<SecureStream> AcceptAsync(Stream connection, LocalCredential serverCredential, CancellationToken cancellationToken)
    {
        var secure = new SecureStream(connection, leaveInnerStreamOpen: false);
        try
        {
            await secure.AuthenticateAsServerAsync(new SecureServerOptions { ServerCredential = serverCredential }, cancellationToken).ConfigureAwait(false);
            return secure;
        }
        catch
        {
            await secure.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Client side: connects (bounded wait) and verifies the server's certificate for <paramref name="serverName"/>.</summary>
    public static async Task<SecureStream> ConnectAsync(string host, int port, IPeerVerifier serverVerifier, string serverName, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new VotingException($"Could not connect to {host}:{port} within {ConnectTimeout.TotalSeconds:0} seconds.");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new VotingException($"Could not connect to {host}:{port}: {e.Message}", e);
        }

        var secure = new SecureStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await secure.AuthenticateAsClientAsync(new SecureClientOptions { ServerVerifier = serverVerifier, ServerName = serverName }, cancellationToken).ConfigureAwait(false);
            return secure;
        }
        catch
        {
            await secure.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Trust for the voting server: the CA certificate in the voter's credential, else the local home's CA.</summary>
    public static IPeerVerifier ServerVerifier(string? caCertificatePem, SafeWireHome home)
    {
        if (string.IsNullOrWhiteSpace(caCertificatePem))
        {
            return home.CreateCaVerifier();
        }

        using var root = X509Certificate2.CreateFromPem(caCertificatePem);
        return new CaVerifier([root]);
    }

    /// <summary>The PEM of the home's CA certificate (creating the CA when absent), handed to voters in their credentials.</summary>
    public static string CaCertificatePem(SafeWireHome home)
    {
        if (!home.HasCa)
        {
            home.LoadOrCreateCa().Dispose();
        }

        return File.ReadAllText(home.CaCertificatePath);
    }
}
