using System.Net;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Transport;

namespace SafeWire.AspNetCore.Tests;

/// <summary>A CA home with a server ("web") and a client ("alice"), and a second, unrelated CA with "mallory".</summary>
public sealed class TestPki : IDisposable
{
    private readonly TempDirectory _directory = new();

    public TestPki()
    {
        var home = new SafeWireHome(_directory["trusted"]);
        var other = new SafeWireHome(_directory["other"]);
        Server = home.LoadOrCreateServerCredential("web", ["localhost"], [IPAddress.Loopback]);
        Client = home.LoadOrCreateClientCredential("alice");
        Untrusted = other.LoadOrCreateClientCredential("mallory");
        Verifier = home.CreateCaVerifier();
    }

    public LocalCredential Server { get; }

    public LocalCredential Client { get; }

    public LocalCredential Untrusted { get; }

    public CaVerifier Verifier { get; }

    public SecureServerOptions ServerOptions() => new()
    {
        ServerCredential = Server,
        ClientVerifier = Verifier,
        RequireClientCredential = true,
    };

    public SecureClientOptions ClientOptions(LocalCredential credential) => new()
    {
        ServerVerifier = Verifier,
        ClientCredential = credential,
    };

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        Untrusted.Dispose();
        _directory.Dispose();
    }
}
