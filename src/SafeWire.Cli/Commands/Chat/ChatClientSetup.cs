using System.CommandLine;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Cli.Commands.Serve;
using SafeWire.Cli.Commands.Trust;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Cli.Commands.Chat;

/// <summary>What chat, send and trace share: parsing HOST:PORT and building a client's credential and trust from the home.</summary>
internal static class ChatClientSetup
{
    /// <summary>A default name from the OS user name, cut to what a certificate file name allows.</summary>
    public static string DefaultName()
    {
        var name = new string(Environment.UserName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').ToArray()).TrimStart('.');
        return name.Length == 0 ? "user" : name[..Math.Min(name.Length, 32)];
    }

    /// <summary>
    /// The client presents this home's identity key (<c>--as</c>, else the default identity; an older home's
    /// <c>certs/NAME.key</c> is still used for <c>--name NAME</c>). A server this home joined is trusted by the CA it
    /// joined; any other by <paramref name="caFile"/> when given, else by this home's CA, else by its key in known_hosts
    /// (per host:port), else first contact decides (<see cref="FirstContact"/>: ask on a terminal, or the options).
    /// Direct-message peers are trusted when their certificate comes from this home's CA, else pinned on first use in known_peers.
    /// </summary>
    public static (ChatClientOptions Options, LocalCredential Credential, IPeerVerifier ServerVerifier) Create(ParseResult parse, SafeWireHome home, string name, string host, int port, FileInfo? caFile, string? identityName, Protocol.IHandshakeObserver? observer = null, IList<Protocol.CipherSuite>? suites = null)
    {
        SafeWireHome.CheckName(name);
        var legacy = identityName is null && File.Exists(home.CertificateKeyPath(name)) && !File.Exists(home.KeyPath(name));
        var identity = HomeIdentity.Open(home, legacy ? name : identityName);
        var credential = identity.ClientCredential(host, name);
        IPeerVerifier serverVerifier = caFile is not null
            ? CaVerifier.FromFiles(caFile.Exists ? caFile.FullName : throw new CliException($"{caFile.FullName}: no such CA certificate file"))
            : new TrustedServers(home).VerifierFor(host) ?? FirstContact.Verifier(parse, home, port);
        // Direct-message peers of a joined server carry certificates from the CA joined for it; a home that never made a
        // CA of its own does not get one just for this.
        var knownPeers = new KnownHostsVerifier(Path.Combine(home.Root, "known_peers"));
        IPeerVerifier? peerCa = new TrustedServers(home).CaVerifierFor(host) ?? (home.HasCa ? home.CreateCaVerifier() : null);
        IPeerVerifier peerVerifier = peerCa is null ? knownPeers : new AnyOfVerifier(peerCa, knownPeers);
        var options = new ChatClientOptions
        {
            Name = name,
            Authenticator = new SecureStreamAuthenticator(server: null, new SecureClientOptions { ServerVerifier = serverVerifier, ClientCredential = credential, Observer = observer, CipherSuites = suites ?? [Protocol.CipherSuite.Aes256Gcm, Protocol.CipherSuite.ChaCha20Poly1305, Protocol.CipherSuite.Aes256CbcHmacSha256] }),
            DirectAuthenticator = member => SecureStreamAuthenticator.ForDirect(credential, peerVerifier, member.Name),
        };
        return (options, credential, serverVerifier);
    }

    /// <summary>Exit codes of chat and send (docs/CHAT.md).</summary>
    public static class ExitCodes
    {
        public const int Ok = 0;
        public const int Error = 1;
        public const int Refused = 2;
        public const int Kicked = 3;
        public const int ServerStopped = 4;
        public const int ConnectionLost = 5;
    }

    public static int ExitCode(ClientExit exit) => exit.Reason switch
    {
        ClientExitReason.Quit => ExitCodes.Ok,
        ClientExitReason.Kicked => ExitCodes.Kicked,
        ClientExitReason.ServerStopped => ExitCodes.ServerStopped,
        _ => ExitCodes.ConnectionLost,
    };

    /// <summary>
    /// Connects (asking first, on a terminal, about a server never seen); a refusal (server full, not on the
    /// allow-list, key changed, server not trusted) becomes one line and exit code 2.
    /// </summary>
    public static async Task<ChatClient> ConnectAsync(string host, int port, ChatClientOptions options, IPeerVerifier serverVerifier, LocalCredential credential, CancellationToken cancellationToken)
    {
        try
        {
            return await FirstContact.ConnectAsync(serverVerifier, () => ChatClient.ConnectAsync(host, port, options, cancellationToken),
                message => new ChatExitException(ExitCodes.Refused, message)).ConfigureAwait(false);
        }
        catch (ChatExitException)
        {
            throw;
        }
        catch (ChatRefusedException e)
        {
            throw new ChatExitException(ExitCodes.Refused, $"refused by the server: {e.Message}");
        }
        catch (SecureChannelException e) when (CliErrors.ServerRefusal(e, credential, $"{host}:{port}") is { } refusal)
        {
            throw new ChatExitException(ExitCodes.Refused, refusal);
        }
        catch (SecureChannelException e) when (e.TrustFailure is { } reason)
        {
            throw new ChatExitException(ExitCodes.Refused, e.SentByPeer
                ? $"refused by the server ({reason}): {e.Message}"
                : $"the server is not trusted ({reason}): {e.Message}");
        }
        catch (SecureChannelException e) when (e.Alert == Protocol.Alert.ServerBusy)
        {
            throw new ChatExitException(ExitCodes.Refused, $"{host}:{port}: {e.Message}");
        }
        catch (SecureChannelException e) when (e.Alert == Protocol.Alert.NoCommonCipherSuite)
        {
            throw new ChatExitException(ExitCodes.Refused, $"{host}:{port} accepts none of the cipher suites offered; try another --suite, or leave it out to offer all three");
        }
        catch (SecureChannelException e)
        {
            throw new ChatExitException(ExitCodes.Refused, $"secure connection to {host}:{port} failed ({e.Alert}): {e.Message}");
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or TimeoutException or IOException)
        {
            throw new ChatExitException(ExitCodes.Error, $"cannot reach {host}:{port}: {e.Message}");
        }
    }
}

/// <summary>Ends chat/send with a specific exit code and one line on stderr.</summary>
internal sealed class ChatExitException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
