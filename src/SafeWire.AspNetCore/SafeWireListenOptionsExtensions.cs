using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeWire.Transport;

namespace SafeWire.AspNetCore;

/// <summary>Kestrel endpoints over SafeWire: the place <c>UseHttps</c> sits, for SafeWire channels.</summary>
public static class SafeWireListenOptionsExtensions
{
    /// <summary>
    /// Runs the SafeWire server handshake on every connection to this endpoint before HTTP sees it. Clients are
    /// authenticated by <see cref="SecureServerOptions.ClientVerifier"/>; an endpoint reads who connected from
    /// <see cref="ISafeWireConnectionFeature"/> in <c>HttpContext.Features</c>. There is no protocol negotiation
    /// inside the channel: set <see cref="ListenOptions.Protocols"/> to <see cref="HttpProtocols.Http1"/> or to
    /// <see cref="HttpProtocols.Http2"/> (prior knowledge, as gRPC uses), not both.
    /// </summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="options">The server's credential and client trust; required: <see cref="SecureServerOptions.ServerCredential"/>.</param>
    /// <returns>The same <paramref name="listenOptions"/>.</returns>
    /// <example>
    /// <code>
    /// builder.WebHost.ConfigureKestrel(kestrel =&gt; kestrel.ListenLocalhost(7443, listen =&gt;
    /// {
    ///     listen.Protocols = HttpProtocols.Http2;
    ///     listen.UseSafeWire(new SecureServerOptions
    ///     {
    ///         ServerCredential = home.LoadOrCreateServerCredential("web", ["localhost"], []),
    ///         ClientVerifier = home.CreateCaVerifier(),
    ///         RequireClientCredential = true,
    ///     });
    /// }));
    /// </code>
    /// </example>
    public static ListenOptions UseSafeWire(this ListenOptions listenOptions, SecureServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ServerCredential is null)
        {
            throw new ArgumentException("SecureServerOptions.ServerCredential is required.", nameof(options));
        }

        if (options.RequireClientCredential && options.ClientVerifier is null)
        {
            throw new ArgumentException("RequireClientCredential needs a ClientVerifier.", nameof(options));
        }

        if (listenOptions.Protocols == HttpProtocols.Http1AndHttp2)
        {
            // Kestrel picks HTTP/2 on TLS by ALPN, which a SafeWire channel does not carry; unset means HTTP/1.1.
            listenOptions.Protocols = HttpProtocols.Http1;
        }

        var loggerFactory = listenOptions.ApplicationServices.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("SafeWire.AspNetCore");
        listenOptions.Use(next => new SafeWireConnectionMiddleware(next, options, logger).OnConnectionAsync);
        return listenOptions;
    }
}
