using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Transport;

namespace SafeWire.Voting;

/// <summary>
/// Puts the voting exchange on a SafeWire channel: the server is authenticated by its certificate (issued by the
/// election host's CA, whose certificate each voter got in the credential); voters are not authenticated by the
/// channel but by the ballot signature with their registered key.
/// </summary>
public static class VoteTransport
{
    /// <summary>How long the TCP connect may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Connection attempts of a voter whose server is busy (0.5 s, 1 s, 2 s, 4 s, 8 s apart, with jitter).</summary>
    public const int BusyAttempts = 6;

    /// <summary>Server side: runs the handshake on an accepted connection.</summary>
    public static Task<SecureStream> AcceptAsync(Stream connection, LocalCredential serverCredential, CancellationToken cancellationToken) =>
        SecureConnector.AuthenticateAsServerAsync(connection, ServerOptions(serverCredential), leaveInnerStreamOpen: false, cancellationToken);

    /// <summary>Server side: runs the handshake on an accepted connection, accepting only <paramref name="cipherSuites"/> (in this order of preference).</summary>
    public static Task<SecureStream> AcceptAsync(Stream connection, LocalCredential serverCredential, IList<CipherSuite> cipherSuites, CancellationToken cancellationToken)
    {
        var options = ServerOptions(serverCredential);
        options.CipherSuites = [.. cipherSuites];
        return SecureConnector.AuthenticateAsServerAsync(connection, options, leaveInnerStreamOpen: false, cancellationToken);
    }

    /// <summary>
    /// The voting server's listener: voters are not asked for a credential (their ballot signature identifies them);
    /// a connection counts against <see cref="AdmissionOptions.MaxConnections"/> only once its handshake succeeded.
    /// </summary>
    public static SecureListener CreateListener(IPEndPoint endPoint, LocalCredential serverCredential, AdmissionOptions admission) =>
        new(endPoint, ServerOptions(serverCredential), admission);

    /// <summary>Client side: connects (bounded wait) and verifies the server's certificate for <paramref name="serverName"/>.</summary>
    public static Task<SecureStream> ConnectAsync(string host, int port, IPeerVerifier serverVerifier, string serverName, CancellationToken cancellationToken) =>
        ConnectAsync(host, port, serverVerifier, serverName, 1, null, cancellationToken);

    /// <summary>
    /// Client side, retrying while the server is busy: up to <paramref name="attempts"/> connections with growing
    /// waits (no ballot has been sent at that point); <paramref name="retrying"/> hears of each wait.
    /// </summary>
    public static Task<SecureStream> ConnectAsync(string host, int port, IPeerVerifier serverVerifier, string serverName, int attempts, Action<SecureChannelException, TimeSpan>? retrying, CancellationToken cancellationToken) =>
        ConnectAsync(host, port, serverVerifier, serverName, null, attempts, retrying, cancellationToken);

    /// <summary>
    /// As <see cref="ConnectAsync(string, int, IPeerVerifier, string, int, Action{SecureChannelException, TimeSpan}?, CancellationToken)"/>,
    /// presenting <paramref name="clientCredential"/> (a voter who joined with a code shows the certificate it got then).
    /// </summary>
    public static Task<SecureStream> ConnectAsync(string host, int port, IPeerVerifier serverVerifier, string serverName, LocalCredential? clientCredential, int attempts, Action<SecureChannelException, TimeSpan>? retrying, CancellationToken cancellationToken) =>
        ConnectAsync(host, port, new SecureClientOptions { ServerVerifier = serverVerifier, ServerName = serverName, ClientCredential = clientCredential }, attempts, retrying, cancellationToken);

    /// <summary>
    /// Client side with every channel setting in <paramref name="options"/> (server trust and name, a client credential,
    /// the cipher suites offered), retrying while the server is busy as the other overloads do.
    /// </summary>
    public static async Task<SecureStream> ConnectAsync(string host, int port, SecureClientOptions options, int attempts, Action<SecureChannelException, TimeSpan>? retrying, CancellationToken cancellationToken)
    {
        try
        {
            return await SecureConnector.ConnectWithRetryAsync(host, port, options, attempts, retrying, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new VotingException($"Could not connect to {host}:{port} within {ConnectTimeout.TotalSeconds:0} seconds.", e);
        }
        catch (SocketException e)
        {
            throw new VotingException($"Could not connect to {host}:{port}: {e.Message}", e);
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

    private static SecureServerOptions ServerOptions(LocalCredential serverCredential) => new() { ServerCredential = serverCredential };
}
