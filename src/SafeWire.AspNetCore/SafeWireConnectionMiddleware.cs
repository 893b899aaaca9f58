using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SafeWire.Transport;

namespace SafeWire.AspNetCore;

/// <summary>
/// Runs the SafeWire server handshake on each Kestrel connection, then hands HTTP the decrypted pipe, as
/// <c>UseHttps</c> does for TLS. A connection whose handshake fails is closed before any HTTP byte is read.
/// </summary>
internal sealed partial class SafeWireConnectionMiddleware(ConnectionDelegate next, SecureServerOptions options, ILogger logger)
{
    public async Task OnConnectionAsync(ConnectionContext context)
    {
        var original = context.Transport;
        var secure = new SecureStream(new DuplexPipeStream(original), leaveInnerStreamOpen: true);
        try
        {
            try
            {
                await secure.AuthenticateAsServerAsync(options, context.ConnectionClosed).ConfigureAwait(false);
            }
            catch (SecureChannelException e)
            {
                LogHandshakeFailed(logger, context.ConnectionId, context.RemoteEndPoint?.ToString(), e.Message);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (IOException e)
            {
                LogHandshakeFailed(logger, context.ConnectionId, context.RemoteEndPoint?.ToString(), e.Message);
                return;
            }

            var feature = new SafeWireConnectionFeature(secure);
            context.Features.Set<ISafeWireConnectionFeature>(feature);
            LogAuthenticated(logger, context.ConnectionId, feature.RemoteIdentity?.Name ?? "(no client credential)", feature.CipherSuite.ToString());
            var input = PipeReader.Create(secure, new StreamPipeReaderOptions(leaveOpen: true));
            var output = PipeWriter.Create(secure, new StreamPipeWriterOptions(leaveOpen: true));
            context.Transport = new SecureDuplexPipe(input, output);
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                await input.CompleteAsync().ConfigureAwait(false);
                await output.CompleteAsync().ConfigureAwait(false);
                context.Transport = original;
            }
        }
        finally
        {
            await secure.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Connection {ConnectionId} from {RemoteEndPoint}: SafeWire handshake failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string connectionId, string? remoteEndPoint, string reason);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId}: SafeWire channel with {Peer} ({CipherSuite})")]
    private static partial void LogAuthenticated(ILogger logger, string connectionId, string peer, string cipherSuite);

    private sealed class SecureDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
