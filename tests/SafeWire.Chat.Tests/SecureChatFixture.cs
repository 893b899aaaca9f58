using System.Net;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Chat.Wire;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Transport;

namespace SafeWire.Chat.Tests;

/// <summary>One home (one CA) with a server certificate and client certificates, wired into real SecureStream authenticators.</summary>
internal sealed class SecureChatFixture : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<LocalCredential> _credentials = [];

    public SecureChatFixture()
    {
        Home = new SafeWireHome(_dir["home"]);
        ServerCredential = Keep(Home.LoadOrCreateServerCredential("server", ["localhost"], [IPAddress.Loopback]));
        CaVerifier = Home.CreateCaVerifier();
    }

    public SafeWireHome Home { get; }

    public LocalCredential ServerCredential { get; }

    public IPeerVerifier CaVerifier { get; }

    public string this[string relative] => _dir[relative];

    public IChannelAuthenticator Server(IPeerVerifier? clientVerifier = null) =>
        SecureStreamAuthenticator.ForChatServer(ServerCredential, clientVerifier ?? new OpenAdmissionVerifier());

    public LocalCredential Client(string name, SafeWireHome? home = null) => Keep((home ?? Home).LoadOrCreateClientCredential(name));

    public IChannelAuthenticator ClientAuthenticator(LocalCredential credential) =>
        new SecureStreamAuthenticator(null, new SecureClientOptions { ServerVerifier = CaVerifier, ClientCredential = credential });

    public Func<ChatMember, IChannelAuthenticator> Direct(LocalCredential credential, IPeerVerifier? peers = null) =>
        member => SecureStreamAuthenticator.ForDirect(credential, peers ?? CaVerifier, member.Name);

    public void Dispose()
    {
        foreach (var credential in _credentials)
        {
            credential.Dispose();
        }

        _dir.Dispose();
    }

    private LocalCredential Keep(LocalCredential credential)
    {
        _credentials.Add(credential);
        return credential;
    }
}
