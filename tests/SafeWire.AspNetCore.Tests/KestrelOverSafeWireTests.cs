using System.Net;
using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Transport;

namespace SafeWire.AspNetCore.Tests;

/// <summary>A minimal API and a gRPC service on Kestrel over SafeWire, called with HttpClient and GrpcChannel over SafeWire.</summary>
public sealed class KestrelOverSafeWireTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly CapturingLoggerProvider _log = new("SafeWire.AspNetCore");
    private int _endpointCalls;

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task Http1_TrustedClient_EndpointSeesClientIdentity()
    {
        await using var app = await StartAsync(HttpProtocols.Http1);
        using var http = new HttpClient(new SocketsHttpHandler().UseSafeWire(_pki.ClientOptions(_pki.Client))) { BaseAddress = Address(app) };

        string answer = await http.GetStringAsync("/whoami", TestContext.Current.CancellationToken);

        Assert.Equal($"alice {_pki.Client.Fingerprint} HTTP/1.1", answer);
    }

    [Fact]
    public async Task Http1_UntrustedClient_RefusedInHandshake()
    {
        await using var app = await StartAsync(HttpProtocols.Http1);
        using var http = new HttpClient(new SocketsHttpHandler().UseSafeWire(_pki.ClientOptions(_pki.Untrusted))) { BaseAddress = Address(app) };

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync("/whoami", TestContext.Current.CancellationToken));

        var refusal = FindInner<SecureChannelException>(error);
        Assert.True(refusal.SentByPeer, refusal.Message);
        Assert.Equal(Alert.UnknownCa, refusal.Alert);
        Assert.Equal(0, _endpointCalls);
        await AssertServerRefusedHandshakeAsync();
    }

    [Fact]
    public async Task Http1_ServerNotTrustedByClient_RefusedInHandshake()
    {
        await using var app = await StartAsync(HttpProtocols.Http1);
        using var stranger = new TempDirectoryHome();
        var options = new SecureClientOptions { ServerVerifier = stranger.Home.CreateCaVerifier(), ClientCredential = _pki.Client };
        using var http = new HttpClient(new SocketsHttpHandler().UseSafeWire(options)) { BaseAddress = Address(app) };

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync("/whoami", TestContext.Current.CancellationToken));

        var refusal = FindInner<SecureChannelException>(error);
        Assert.False(refusal.SentByPeer);
        Assert.Equal(TrustFailureReason.UntrustedIssuer, refusal.TrustFailure);
        Assert.Equal(0, _endpointCalls);
    }

    [Fact]
    public async Task Http2_ConcurrentRequests_MultiplexOverOneSafeWireConnection()
    {
        const int Streams = 6;
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connectionIds = new System.Collections.Concurrent.ConcurrentBag<string>();
        await using var app = await StartAsync(HttpProtocols.Http2, app => app.MapGet("/gather", async (HttpContext http) =>
        {
            connectionIds.Add(http.Connection.Id);
            if (Interlocked.Increment(ref arrived) == Streams)
            {
                allArrived.SetResult();
            }

            // Every request waits until all of them are in flight: they can only finish if they run concurrently.
            await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return http.Request.Protocol;
        }));
        int connects = 0;
        var handler = new SocketsHttpHandler();
        handler.UseSafeWire(_pki.ClientOptions(_pki.Client));
        var secureConnect = handler.ConnectCallback!;
        handler.ConnectCallback = (context, token) =>
        {
            Interlocked.Increment(ref connects);
            return secureConnect(context, token);
        };
        using var http = new HttpClient(handler)
        {
            BaseAddress = Address(app),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        // One request first, so the connection exists before the concurrent ones (no race to open several).
        string first = await http.GetStringAsync("/whoami", TestContext.Current.CancellationToken);
        var answers = await Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => http.GetStringAsync("/gather", TestContext.Current.CancellationToken)));

        Assert.Equal($"alice {_pki.Client.Fingerprint} HTTP/2", first);
        Assert.All(answers, a => Assert.Equal("HTTP/2", a));
        Assert.Equal(1, connects);
        Assert.Single(connectionIds.Distinct());
    }

    [Fact]
    public async Task Grpc_UnaryCall_ServiceSeesClientIdentity()
    {
        await using var app = await StartAsync(HttpProtocols.Http2, app => app.MapGrpcService<WhoAmIService>(), grpc: true);
        using var channel = GrpcChannel.ForAddress(Address(app), new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler().UseSafeWire(_pki.ClientOptions(_pki.Client)),
        });

        string answer = await channel.CreateCallInvoker().AsyncUnaryCall(
            WhoAmIService.WhoAmIMethod, null, new CallOptions(cancellationToken: TestContext.Current.CancellationToken), "hello");

        Assert.Equal("hello alice", answer);
    }

    [Fact]
    public async Task Grpc_UntrustedClient_CallFailsUnavailable()
    {
        await using var app = await StartAsync(HttpProtocols.Http2, app => app.MapGrpcService<WhoAmIService>(), grpc: true);
        using var channel = GrpcChannel.ForAddress(Address(app), new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler().UseSafeWire(_pki.ClientOptions(_pki.Untrusted)),
        });

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker().AsyncUnaryCall(
            WhoAmIService.WhoAmIMethod, null, new CallOptions(cancellationToken: TestContext.Current.CancellationToken), "hello").ResponseAsync);

        // The client's handshake ends before the server has checked its certificate (as in TLS 1.3), so the
        // call fails on the server's alert or on the closed connection, whichever HTTP/2 sees first.
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        await AssertServerRefusedHandshakeAsync();
    }

    private async Task<WebApplication> StartAsync(HttpProtocols protocols, Action<WebApplication>? map = null, bool grpc = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(_log);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (grpc)
        {
            builder.Services.AddGrpc();
        }

        var serverOptions = _pki.ServerOptions();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = protocols;
            listen.UseSafeWire(serverOptions);
        }));
        var app = builder.Build();
        app.MapGet("/whoami", (HttpContext http) =>
        {
            Interlocked.Increment(ref _endpointCalls);
            var peer = http.Features.Get<ISafeWireConnectionFeature>()?.RemoteIdentity;
            return $"{peer?.Name} {peer?.Fingerprint} {http.Request.Protocol}";
        });
        map?.Invoke(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    /// <summary>The server logs the refusal after it closed the connection; waits (bounded) for that line.</summary>
    private async Task AssertServerRefusedHandshakeAsync()
    {
        for (int i = 0; i < 600 && !_log.Messages.Any(m => m.Contains("SafeWire handshake failed", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Contains(_log.Messages, m => m.Contains("SafeWire handshake failed", StringComparison.Ordinal) && m.Contains("mallory", StringComparison.Ordinal));
        Assert.DoesNotContain(_log.Messages, m => m.Contains("SafeWire channel with", StringComparison.Ordinal));
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

    private static T FindInner<T>(Exception error)
        where T : Exception
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        throw new Xunit.Sdk.XunitException($"No {typeof(T).Name} in: {error}");
    }

    private sealed class TempDirectoryHome : IDisposable
    {
        private readonly TestSupport.TempDirectory _directory = new();

        public TempDirectoryHome() => Home = new SafeWireHome(_directory.Path);

        public SafeWireHome Home { get; }

        public void Dispose() => _directory.Dispose();
    }
}
