// ASP.NET Core over SafeWire vs the same app over Kestrel HTTPS (TLS 1.3), side by side in one run.
//   dotnet bench/AspNet/bin/Release/net10.0/AspNetBench.dll [seconds per window, 5] [concurrency, 16] [rounds, 3]
// One Kestrel app, one minimal API endpoint (GET /hello, 5 bytes) and one gRPC unary method, on four loopback
// endpoints: SafeWire and HTTPS, each with HTTP/1.1 and HTTP/2. Both sides authenticate both ends (a client
// certificate from the same private CA, P-256 keys) and verify the peer's chain on every full handshake; TLS session
// resumption is off, as SafeWire runs without session tickets here: every new connection is a full handshake.
// Windows alternate SafeWire/HTTPS (the order flips every round); the table shows the median over the rounds.
// Client and server share the process and the machine's cores, as they would for a sidecar.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using SafeWire.AspNetCore;
using SafeWire.Benchmarks.AspNet;
using SafeWire.Identity;
using SafeWire.Transport;

int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
int concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var window = TimeSpan.FromSeconds(seconds);

var directory = Directory.CreateTempSubdirectory("safewire-aspnet-bench.");
try
{
    var home = new SafeWireHome(directory.FullName);
    using var serverCredential = home.LoadOrCreateServerCredential("web", ["localhost"], [IPAddress.Loopback]);
    using var clientCredential = home.LoadOrCreateClientCredential("bench");
    var verifier = home.CreateCaVerifier();
    using var ca = CertificateFile.Read(home.CaCertificatePath);
    using var tlsServer = WithPrivateKey(serverCredential);
    using var tlsClient = WithPrivateKey(clientCredential);

    int[] ports = [FreePort(), FreePort(), FreePort(), FreePort()];
    var safeWireOptions = new SecureServerOptions { ServerCredential = serverCredential, ClientVerifier = verifier, RequireClientCredential = true };
    var httpsOptions = new HttpsConnectionAdapterOptions
    {
        ServerCertificate = tlsServer,
        SslProtocols = SslProtocols.Tls13,
        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
        CheckCertificateRevocation = false,
        ClientCertificateValidation = (certificate, _, _) => IssuedByCa(certificate, ca),
        OnAuthenticate = (_, ssl) => ssl.AllowTlsResume = false,
    };

    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.Services.AddGrpc();
    builder.WebHost.ConfigureKestrel(kestrel =>
    {
        kestrel.Listen(IPAddress.Loopback, ports[0], l => { l.Protocols = HttpProtocols.Http1; l.UseSafeWire(safeWireOptions); });
        kestrel.Listen(IPAddress.Loopback, ports[1], l => { l.Protocols = HttpProtocols.Http1; l.UseHttps(httpsOptions); });
        kestrel.Listen(IPAddress.Loopback, ports[2], l => { l.Protocols = HttpProtocols.Http2; l.UseSafeWire(safeWireOptions); });
        kestrel.Listen(IPAddress.Loopback, ports[3], l => { l.Protocols = HttpProtocols.Http2; l.UseHttps(httpsOptions); });
    });
    await using var app = builder.Build();
    app.MapGet("/hello", () => "hello");
    app.MapGrpcService<Greeter>();
    await app.StartAsync();

    SocketsHttpHandler SafeWireHandler() => new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }
        .UseSafeWire(new SecureClientOptions { ServerVerifier = verifier, ClientCredential = clientCredential });
    SocketsHttpHandler HttpsHandler() => new()
    {
        MaxConnectionsPerServer = concurrency,
        SslOptions = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls13,
            ClientCertificates = [tlsClient],
            AllowTlsResume = false,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && certificate is X509Certificate2 c && IssuedByCa(c, ca),
        },
    };

    var scenarios = new (string Name, Func<bool, Task<Result>> Run)[]
    {
        ("HTTP/1.1 kept-alive", safeWire => HttpAsync(safeWire ? SafeWireHandler() : HttpsHandler(), Url(safeWire, ports[0], ports[1]), newConnection: false)),
        ("HTTP/1.1 new connection per request", safeWire => HttpAsync(safeWire ? SafeWireHandler() : HttpsHandler(), Url(safeWire, ports[0], ports[1]), newConnection: true)),
        ("gRPC unary (HTTP/2, one connection)", safeWire => GrpcAsync(safeWire ? SafeWireHandler() : HttpsHandler(), Url(safeWire, ports[2], ports[3]))),
    };

    Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {concurrency} concurrent requests, {seconds} s windows, {rounds} rounds");
    var results = new Dictionary<(string, bool), List<Result>>();
    foreach (var (name, run) in scenarios)
    {
        await run(true);   // warm-up, both sides, not counted
        await run(false);
        for (int round = 0; round < rounds; round++)
        {
            foreach (bool safeWire in round % 2 == 0 ? new[] { true, false } : [false, true])
            {
                var result = await run(safeWire);
                Console.WriteLine($"  {name,-38} {(safeWire ? "SafeWire" : "HTTPS"),-8} {result.Rate,9:N0} req/s  p99 {result.P99Ms,7:N2} ms  ({result.Count} ok, {result.Failures} failed)");
                results.TryAdd((name, safeWire), []);
                results[(name, safeWire)].Add(result);
            }
        }
    }

    Console.WriteLine();
    Console.WriteLine("| Scenario | SafeWire req/s | HTTPS req/s | ratio | SafeWire p99 ms | HTTPS p99 ms |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    foreach (var (name, _) in scenarios)
    {
        double swRate = Median(results[(name, true)].Select(r => r.Rate)), tlsRate = Median(results[(name, false)].Select(r => r.Rate));
        double swP99 = Median(results[(name, true)].Select(r => r.P99Ms)), tlsP99 = Median(results[(name, false)].Select(r => r.P99Ms));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {swRate:N0} | {tlsRate:N0} | {swRate / tlsRate:0.00}x | {swP99:0.00} | {tlsP99:0.00} |"));
    }

    await app.StopAsync();
    return results.Values.SelectMany(r => r).Any(r => r.Failures > 0) ? 1 : 0;
}
finally
{
    directory.Delete(recursive: true);
}

Uri Url(bool safeWire, int safeWirePort, int httpsPort) =>
    new(safeWire ? $"http://localhost:{safeWirePort}" : $"https://localhost:{httpsPort}");

async Task<Result> HttpAsync(SocketsHttpHandler handler, Uri baseAddress, bool newConnection)
{
    using var http = new HttpClient(handler) { BaseAddress = baseAddress };
    return await LoadAsync(async () =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hello");
        request.Headers.ConnectionClose = newConnection;   // the server closes after the response: a new connection each time
        using var response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode && body == "hello";
    });
}

async Task<Result> GrpcAsync(SocketsHttpHandler handler, Uri address)
{
    using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
    var invoker = channel.CreateCallInvoker();
    return await LoadAsync(async () => await invoker.AsyncUnaryCall(Greeter.HelloMethod, null, default, "bench") == "hello bench");
}

// Runs `concurrency` loops of `call` for one window; each call's latency is kept for the percentile.
async Task<Result> LoadAsync(Func<Task<bool>> call)
{
    var until = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
    var latencies = new List<long>[concurrency];
    int failures = 0;
    var started = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
    {
        var mine = latencies[worker] = new List<long>(100_000);
        for (int i = 0; i < 10_000_000 && Stopwatch.GetTimestamp() < until; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                ok = await call();
            }
            catch (Exception e) when (e is HttpRequestException or RpcException or IOException)
            {
                ok = false;
            }

            if (ok)
            {
                mine.Add(Stopwatch.GetTimestamp() - t0);
            }
            else
            {
                Interlocked.Increment(ref failures);
            }
        }
    })));
    double elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    double p99 = all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))] * 1000.0 / Stopwatch.Frequency;
    return new Result(all.Length, failures, all.Length / elapsed, p99);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static int FreePort()
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    return ((IPEndPoint)socket.LocalEndPoint!).Port;
}

// The same certificate and key for SslStream: a PKCS#12 round trip gives a certificate the TLS stack can use.
static X509Certificate2 WithPrivateKey(LocalCredential credential)
{
    var certificate = credential.Certificate!;
    using var withKey = certificate.HasPrivateKey ? X509CertificateLoader.LoadCertificate(certificate.RawData).CopyWithPrivateKey((ECDsa)credential.Key)
        : certificate.CopyWithPrivateKey((ECDsa)credential.Key);
    return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
}

// What SafeWire's CaVerifier does for the same peer, with X509Chain: the chain must end at the private CA.
static bool IssuedByCa(X509Certificate2 certificate, X509Certificate2 ca)
{
    using var chain = new X509Chain();
    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
    chain.ChainPolicy.CustomTrustStore.Add(ca);
    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
    return chain.Build(certificate);
}

internal readonly record struct Result(int Count, int Failures, double Rate, double P99Ms);
