// An ASP.NET Core minimal API over SafeWire, and an HttpClient that calls it, in one program.
//   WebWhoAmI [port]      (port 0 picks a free one; keys and the local CA: SAFEWIRE_HOME or ~/.safewire)
// Kestrel serves HTTP/2 on a SafeWire channel (ListenOptions.UseSafeWire, where UseHttps would sit); the endpoint
// answers with the client's verified identity. The client calls it once over SocketsHttpHandler.UseSafeWire and
// the program exits: 0 when the answer names the client.
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using SafeWire.AspNetCore;
using SafeWire.Identity;
using SafeWire.Transport;

int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7443;
var home = SafeWireHome.Resolve(null);
using var serverCredential = home.LoadOrCreateServerCredential("web", ["localhost"], [IPAddress.Loopback]);
using var clientCredential = home.LoadOrCreateClientCredential("web-client");

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
{
    listen.Protocols = HttpProtocols.Http2;
    listen.UseSafeWire(new SecureServerOptions
    {
        ServerCredential = serverCredential,
        ClientVerifier = home.CreateCaVerifier(),
        RequireClientCredential = true,
    });
}));
await using var app = builder.Build();
app.MapGet("/whoami", (HttpContext http) =>
{
    var peer = http.Features.Get<ISafeWireConnectionFeature>()!.RemoteIdentity!;
    return $"hello {peer.Name} ({peer.Fingerprint}) over {http.Request.Protocol}";
});
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"serving on {address}");

using var handler = new SocketsHttpHandler().UseSafeWire(new SecureClientOptions
{
    ServerVerifier = home.CreateCaVerifier(),
    ClientCredential = clientCredential,
});
using var http = new HttpClient(handler)
{
    BaseAddress = new Uri(address),
    DefaultRequestVersion = HttpVersion.Version20,
    DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,   // HTTP/2 with prior knowledge, no TLS ALPN
};
string answer = await http.GetStringAsync(new Uri("/whoami", UriKind.Relative));
Console.WriteLine(answer);
await app.StopAsync();
return answer.StartsWith("hello web-client ", StringComparison.Ordinal) ? 0 : 1;
