using System.Buffers;
using System.ComponentModel;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using SafeWire.Files.Storage;

namespace SafeWire.Files.Ftp;

/// <summary>Passive data ports and transfers (RFC 959 §3.2-3.3, RFC 2428, RFC 3659 REST STREAM, RFC 4217 §9).</summary>
internal sealed partial class FtpSession
{
    private const int TransferBufferSize = 256 * 1024;

    private const string DiskFullMessage = "Insufficient storage space: the server's disk is full; nothing was stored.";

    private static readonly FtpReply s_sessionReuseRequired = new(425, "Data connection refused: it must resume the control connection's TLS session (TLS session reuse is required).");

    private FtpPendingDataConnection? _passive;
    private bool _extendedPassiveOnly;
    private long _restartOffset;

    private FtpReply Pasv()
    {
        if (_extendedPassiveOnly)
        {
            return new FtpReply(503, "EPSV ALL was sent: only EPSV is allowed now.");
        }

        var address = _local.Address.IsIPv4MappedToIPv6 ? _local.Address.MapToIPv4() : _local.Address;
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return new FtpReply(425, "PASV needs IPv4; use EPSV.");
        }

        if (OpenPassive() is not { } port)
        {
            return new FtpReply(425, "No passive port is free.");
        }

        var octets = address.GetAddressBytes();
        return new FtpReply(227, string.Create(CultureInfo.InvariantCulture, $"Entering Passive Mode ({octets[0]},{octets[1]},{octets[2]},{octets[3]},{port >> 8},{port & 0xFF})."));
    }

    private FtpReply Epsv(string argument)
    {
        var upper = argument.Trim().ToUpperInvariant();
        if (upper == "ALL")
        {
            _extendedPassiveOnly = true;
            return new FtpReply(200, "EPSV ALL ok.");
        }

        var family = _local.AddressFamily == AddressFamily.InterNetworkV6 && !_local.Address.IsIPv4MappedToIPv6 ? "2" : "1";
        if (upper.Length > 0 && upper != family)
        {
            return new FtpReply(522, $"Network protocol not supported, use ({family}).");
        }

        return OpenPassive() is { } port
            ? new FtpReply(229, string.Create(CultureInfo.InvariantCulture, $"Entering Extended Passive Mode (|||{port}|)."))
            : new FtpReply(425, "No passive port is free.");
    }

    private int? OpenPassive()
    {
        ClosePassive();
        if (FtpPassiveListener.Open(_local.Address, _remote.Address, _options.PassivePorts, _options.DataTimeout) is not { } listener)
        {
            return null;
        }

        var tls = _protection == DataProtection.Private ? _server.TlsOptions : null;
        _passive = new FtpPendingDataConnection(listener, tls, _binding, _options.RequireTlsSessionReuse, _options.HandshakeTimeout, _options.Log is null ? null : m => Log(m));
        return _passive.Port;
    }

    private void ClosePassive()
    {
        _passive?.Dispose();
        _passive = null;
    }

    private FtpReply Rest(string argument)
    {
        if (!long.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return new FtpReply(501, "REST needs a byte offset.");
        }

        _restartOffset = offset;
        return new FtpReply(350, string.Create(CultureInfo.InvariantCulture, $"Restarting at {offset}. Send RETR, STOR or APPE."));
    }

    private FtpReply Abor()
    {
        // Transfers run to completion before the next command is read, so there is never one to abort here.
        ClosePassive();
        _restartOffset = 0;
        return new FtpReply(225, "No transfer in progress.");
    }

    private async Task<FtpReply?> ListAsync(FtpVerb verb, string argument, CancellationToken cancellationToken)
    {
        _restartOffset = 0;
        // LIST takes ls-style options ("-la") before the path; they change nothing here.
        var path = argument.Trim();
        while (verb == FtpVerb.List && path.StartsWith('-'))
        {
            var space = path.IndexOf(' ', StringComparison.Ordinal);
            path = space < 0 ? "" : path[(space + 1)..].TrimStart();
        }

        var target = Resolve(path.Length == 0 ? "." : path);
        List<FileSystemInfo> entries;
        if (Directory.Exists(target.PhysicalPath))
        {
            entries = _server.Jail.ListDirectory(target.PhysicalPath);
        }
        else if (File.Exists(target.PhysicalPath) && verb != FtpVerb.Mlsd)
        {
            entries = [new FileInfo(target.PhysicalPath)];
        }
        else
        {
            return new FtpReply(550, verb == FtpVerb.Mlsd ? "Not a directory." : "No such file or directory.");
        }

        var now = DateTime.UtcNow;
        var builder = new StringBuilder();
        foreach (var entry in entries)
        {
            builder.Append(verb switch
            {
                FtpVerb.List => FtpListing.ListLine(entry, now),
                FtpVerb.Mlsd => FtpListing.MlstLine(entry, entry.Name, _facts, !ReadOnly),
                _ => entry.Name,
            }).Append("\r\n");
        }

        var bytes = Encoding.UTF8.GetBytes(builder.ToString());
        return await TransferAsync(verb.ToString().ToUpperInvariant(), async (data, token) =>
        {
            await data.WriteAsync(bytes, token).ConfigureAwait(false);
            return bytes.Length;
        }, sending: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<FtpReply?> RetrieveAsync(string path, CancellationToken cancellationToken)
    {
        var offset = _restartOffset;
        _restartOffset = 0;
        var target = Resolve(path);
        if (!File.Exists(target.PhysicalPath))
        {
            return new FtpReply(550, Directory.Exists(target.PhysicalPath) ? "That is a directory." : "No such file.");
        }

        var file = new FileStream(target.PhysicalPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            if (offset > file.Length)
            {
                return new FtpReply(554, "REST offset is past the end of the file.");
            }

            file.Position = offset;
            var reply = await TransferAsync("RETR " + target.VirtualPath, (data, token) => CopyAsync(file, data, token), sending: true, cancellationToken).ConfigureAwait(false);
            return reply;
        }
    }

    private async Task<FtpReply?> StoreAsync(string path, bool append, CancellationToken cancellationToken)
    {
        var offset = _restartOffset;
        _restartOffset = 0;
        var target = Resolve(path);
        if (target.IsRoot || Directory.Exists(target.PhysicalPath))
        {
            return new FtpReply(553, "That is a directory.");
        }

        if (!Directory.Exists(Path.GetDirectoryName(target.PhysicalPath)))
        {
            return new FtpReply(553, "The directory does not exist.");
        }

        var existing = File.Exists(target.PhysicalPath) ? new FileInfo(target.PhysicalPath).Length : 0;
        long keep;
        if (append)
        {
            keep = existing;
        }
        else if (offset > existing)
        {
            return new FtpReply(554, "REST offset is past the end of the existing file.");
        }
        else
        {
            keep = offset;
        }

        _server.Partials.SweepInBackgroundIfDue();
        // One upload per name at a time: a second one would reset the first one's partial file under it.
        using var claim = PartialFile.TryClaim(target.PhysicalPath);
        if (claim is null)
        {
            Log($"refused {(append ? "APPE" : "STOR")} {target.VirtualPath}: another upload to it is running");
            return new FtpReply(450, "Another upload to this file is in progress; try again when it has finished.");
        }

        // The upload goes to a hidden partial file and replaces the target only once it is complete: after the
        // client's TLS close_notify, with as many bytes in the partial file as were received.
        FileStream part;
        try
        {
            part = PartialFile.Begin(target.PhysicalPath, keep);
        }
        catch (IOException e) when (StorageFullException.IsDiskFull(e))
        {
            PartialFile.Discard(target.PhysicalPath);
            return new FtpReply(452, DiskFullMessage);
        }

        FtpReply? reply;
        long received = 0;
        var complete = false;
        await using (part.ConfigureAwait(false))
        {
            reply = await TransferAsync((append ? "APPE " : "STOR ") + target.VirtualPath, async (data, token) =>
            {
                try
                {
                    received = await CopyAsync(data, part, token).ConfigureAwait(false);
                    return received;
                }
                catch (IOException e) when (StorageFullException.IsDiskFull(e))
                {
                    throw new StorageFullException(DiskFullMessage, e);
                }
            }, sending: false, cancellationToken).ConfigureAwait(false);
            if (reply?.Code == 226)
            {
                await part.FlushAsync(cancellationToken).ConfigureAwait(false);
                complete = part.Length == keep + received;
                if (!complete)
                {
                    Log(string.Create(CultureInfo.InvariantCulture, $"{target.VirtualPath}: the partial file holds {part.Length} bytes, expected {keep + received}; discarded"));
                    reply = new FtpReply(451, "The stored size does not match the bytes received; nothing was stored, send the file again.");
                }
            }
        }

        if (complete)
        {
            PartialFile.Commit(target.PhysicalPath);
        }
        else
        {
            PartialFile.Discard(target.PhysicalPath);
        }

        return reply;
    }

    /// <summary>
    /// The common shape of every data command: 150, take the passive connection (accepted from the client's address
    /// only and, under PROT P, authenticated with TLS in the background since PASV/EPSV), move the bytes,
    /// close_notify, close, then 226 or the error.
    /// </summary>
    private async Task<FtpReply?> TransferAsync(string what, Func<Stream, CancellationToken, Task<long>> transfer, bool sending, CancellationToken cancellationToken)
    {
        if (_protection == DataProtection.Clear && !_options.AllowPlain)
        {
            return new FtpReply(521, "Data connections must be protected: send PBSZ 0 and PROT P.");
        }

        var passive = _passive;
        _passive = null;
        if (passive is null)
        {
            return new FtpReply(425, "Use PASV or EPSV first.");
        }

        FtpDataConnection connection;
        using (passive)
        {
            if (passive.Protected && _protection == DataProtection.Clear)
            {
                return new FtpReply(425, "PROT C came after PASV/EPSV: open the data port again.");
            }

            await ReplyAsync(new FtpReply(150, "Opening " + (_protection == DataProtection.Private ? "TLS" : "clear") + " data connection."), cancellationToken).ConfigureAwait(false);
            try
            {
                connection = await passive.TakeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return new FtpReply(425, "No data connection arrived in time.");
            }
            catch (FtpSessionReuseRequiredException)
            {
                return s_sessionReuseRequired;
            }
            catch (Exception e) when (e is IOException or AuthenticationException or Win32Exception || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Log($"{what}: data TLS handshake failed: {ErrorText.Of(e)}");
                return new FtpReply(425, "TLS handshake on the data connection failed.");
            }
        }

        var socket = connection.Socket;
        var data = connection.Stream;
        var wire = connection.Wire;
        if (!passive.Protected && _protection == DataProtection.Private)
        {
            // PROT P came after PASV/EPSV: the handshake runs now.
            try
            {
                (data, wire) = await FtpDataTls.AuthenticateAsync(data, _server.TlsOptions!, _binding, _options.RequireTlsSessionReuse, _options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (FtpSessionReuseRequiredException)
            {
                Log($"{what}: refused a data connection that did not resume the control connection's TLS session");
                return s_sessionReuseRequired;
            }
            catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or Win32Exception)
            {
                Log($"{what}: data TLS handshake failed: {ErrorText.Of(e)}");
                return new FtpReply(425, "TLS handshake on the data connection failed.");
            }
        }

        await using (data.ConfigureAwait(false))
        {
            long bytes;
            try
            {
                bytes = await transfer(data, cancellationToken).ConfigureAwait(false);
                if (!sending && wire is { TransportEnded: true })
                {
                    // SslStream reports a bare FIN like a close_notify; only the TLS alert says the sender finished.
                    Log(string.Create(CultureInfo.InvariantCulture, $"{what}: the data connection ended without TLS close_notify after {bytes} bytes"));
                    return new FtpReply(426, "Data connection closed without TLS close_notify; transfer aborted, nothing was stored.");
                }

                await CloseDataAsync(data, socket, sending).ConfigureAwait(false);
            }
            catch (StorageFullException e)
            {
                Log($"{what}: {e.Message}");
                return new FtpReply(452, e.Message);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Log($"{what}: data connection failed: {ErrorText.Of(e)}");
                return new FtpReply(426, "Data connection closed; transfer aborted.");
            }

            Log(string.Create(CultureInfo.InvariantCulture, $"{what}: {bytes} bytes"));
            return new FtpReply(226, "Transfer complete.");
        }
    }

    /// <summary>
    /// Ends a data connection the way FTPS clients expect: close_notify first (FileZilla reports a missing one as an
    /// error), then FIN. After sending, wait briefly for the client to close too, so closing never resets a
    /// connection whose last bytes (or close_notify) the client has not read yet.
    /// </summary>
    private async Task CloseDataAsync(Stream data, Socket socket, bool sending)
    {
        using var timeout = new CancellationTokenSource(_options.DataTimeout);
        if (data is SslStream tls)
        {
            try
            {
                await tls.ShutdownAsync().WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (IOException) when (!sending)
            {
                // The uploader may close right after its own close_notify; the data is already complete.
            }
        }

        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException) when (!sending)
        {
        }

        if (sending)
        {
            // Drain (and discard) what the client still sends — its close_notify — until it closes, bounded in time and size.
            var scratch = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                var drained = 0;
                int read;
                while (drained < 1 << 20 && (read = await socket.ReceiveAsync(scratch, SocketFlags.None, timeout.Token).ConfigureAwait(false)) > 0)
                {
                    drained += read;
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>
    /// Copies with two pooled buffers, reading the next chunk while the current one is written (for RETR the disk
    /// read runs beside the TLS encryption and send); every read and write must make progress within the data timeout.
    /// </summary>
    private async Task<long> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var current = ArrayPool<byte>.Shared.Rent(TransferBufferSize);
        var next = ArrayPool<byte>.Shared.Rent(TransferBufferSize);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long total = 0;
        stall.CancelAfter(_options.DataTimeout);
        var reading = source.ReadAsync(current.AsMemory(0, TransferBufferSize), stall.Token).AsTask();
        try
        {
            while (true)
            {
                var read = await reading.ConfigureAwait(false);
                if (read == 0)
                {
                    return total;
                }

                stall.CancelAfter(_options.DataTimeout);
                reading = source.ReadAsync(next.AsMemory(0, TransferBufferSize), stall.Token).AsTask();
                await destination.WriteAsync(current.AsMemory(0, read), stall.Token).ConfigureAwait(false);
                total += read;
                (current, next) = (next, current);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException("The data transfer stalled.");
        }
        finally
        {
            // A read may still be filling a buffer (the write failed): let it finish before the buffers go back.
            await ((Task)reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }
    }
}
