using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Enrollment;

/// <summary>Derives channel-bound bytes (a <see cref="SecureStream"/>'s exporter).</summary>
internal delegate void KeyingMaterialExporter(string label, ReadOnlySpan<byte> context, Span<byte> destination);

/// <summary>What a server does with a successful join, and what it needs to issue.</summary>
internal sealed class EnrollmentServerOptions
{
    /// <summary>Where a joined client's key is added under its invitation name (null: no allow-list).</summary>
    public string? AllowListPath { get; init; }

    /// <summary>The CA key's password, when it is encrypted.</summary>
    public string? CaPassword { get; init; }

    /// <summary>The clock (expiry, certificate validity).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Wrong codes allowed per address within <see cref="ThrottleWindow"/> before it is refused.</summary>
    public int MaxFailuresPerAddress { get; init; } = 5;

    /// <summary>Wrong codes allowed from all addresses together within <see cref="ThrottleWindow"/>.</summary>
    public int MaxFailuresTotal { get; init; } = 50;

    /// <summary>The throttle's window.</summary>
    public TimeSpan ThrottleWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Bounds the whole exchange after the handshake.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Asked once the code is proven and before it is used up: returns why this server will not take this join (sent
    /// to the joining machine; the code stays valid), or null to go on. E.g. a voting server whose election already
    /// has a voter of that name.
    /// </summary>
    public Func<Invitation, PeerIdentity, string?>? Admit { get; init; }

    /// <summary>
    /// Called after the certificate is issued and before the joining machine hears of it, so whatever it sets up
    /// (e.g. a voter registration) is in place when the join command returns.
    /// </summary>
    public Action<Invitation, PeerIdentity>? Joined { get; init; }
}

/// <summary>A join the server completed, or refused (for its log).</summary>
/// <param name="Remote">The client's address.</param>
/// <param name="Name">The invitation's name (null when no invitation matched).</param>
/// <param name="Fingerprint">The client's key.</param>
/// <param name="Error">Null on success.</param>
/// <param name="Message">One line describing it.</param>
internal sealed record JoinEvent(IPEndPoint? Remote, string? Name, string Fingerprint, JoinError? Error, string Message);

/// <summary>
/// The server half of the join protocol, shared by every SafeWire server: after a handshake in which the client
/// was admitted in the join-only role (<see cref="JoinGateVerifier"/>, <see cref="IsJoinRequest"/>), the server
/// offers its CA certificate, checks the client's proof of the code's secret against the stored verifier for this
/// channel and key, marks the invitation used, issues the certificate, adds a client to the allow-list, and sends
/// the certificate, the CA certificate and the CRL. Wrong codes are throttled per address and in total.
/// </summary>
internal sealed class EnrollmentServer : IDisposable
{
    private static readonly object s_allowListGate = new();

    private readonly SafeWireHome _home;
    private readonly EnrollmentServerOptions _options;
    private readonly InvitationStore _invitations;
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly Queue<DateTimeOffset> _allFailures = new();

    // The durable steps of concurrent joins are batched: for every join waiting at that moment, one rewrite and one flush
    // of the invitations file, then the issued certificates' copies and one rewrite of the allow-list, flushed together;
    // no join handler holds a thread while it waits.
    private readonly GroupCommit<JoinCommit, (Invitation? Found, bool Consumed)> _commit;

    // The allow-lists this server adds to, as last read or written (a user's `allow add` replaces the file: read again).
    private readonly ConcurrentDictionary<string, FileVersionCache<AllowList>> _allowLists = new(StringComparer.Ordinal);

    // Loading the CA (its key through OpenSSL) and parsing its certificate and CRL were most of a join's cost when done
    // for every join: each is read again only when its file changes (a revocation rewrites crl.pem, so it shows at once).
    private readonly FileVersionCache<CertificateAuthority> _ca;
    private readonly FileVersionCache<byte[]> _caCertificate;
    private readonly FileVersionCache<byte[]> _crl;

    /// <summary>A handler for the CA of <paramref name="home"/>.</summary>
    public EnrollmentServer(SafeWireHome home, EnrollmentServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(home);
        _home = home;
        _options = options ?? new EnrollmentServerOptions();
        _invitations = new InvitationStore(InvitationsPath(home));
        _commit = new(CommitJoins);
        _ca = new(home.CaKeyPath, _ => CertificateAuthority.Load(home.CaDirectory, _options.CaPassword));
        _caCertificate = new(home.CaCertificatePath, path =>
        {
            using var certificate = CertificateFile.Read(path);
            return certificate.RawData;
        });
        _crl = new(home.CrlPath, path => RevocationList.Read(path).RawData);
    }

    /// <summary>Lets go of the CA key held for issuing.</summary>
    public void Dispose()
    {
        _ca.Clear();
        _caCertificate.Clear();
        _crl.Clear();
    }

    /// <summary>Raised after each join attempt (success or refusal).</summary>
    public event Action<JoinEvent>? Completed;

    /// <summary>The invitations file of a home.</summary>
    public static string InvitationsPath(SafeWireHome home)
    {
        ArgumentNullException.ThrowIfNull(home);
        return Path.Combine(home.CaDirectory, InvitationStore.FileName);
    }

    /// <summary>Where the server keeps a copy of a certificate it issued at a join: <c>ca/issued/NAME-SERIAL.crt</c> (for revoking it).</summary>
    public static string IssuedPath(SafeWireHome home, string name, string serial)
    {
        ArgumentNullException.ThrowIfNull(home);
        return Path.Combine(home.CaDirectory, "issued", SafeWireHome.CheckName(name) + "-" + serial + ".crt");
    }

    /// <summary>
    /// After the certificate with <paramref name="serial"/> was revoked: when a join issued it, removes its key from the
    /// allow-list at <paramref name="allowListPath"/> too (servers that admit by key re-read it), and returns the name
    /// it was issued to; null when no join issued that serial or the key was not listed.
    /// </summary>
    public static string? RemoveRevokedFromAllowList(SafeWireHome home, string serial, string allowListPath)
    {
        ArgumentNullException.ThrowIfNull(home);
        ArgumentNullException.ThrowIfNull(serial);
        var directory = Path.Combine(home.CaDirectory, "issued");
        if (!Directory.Exists(directory) || !File.Exists(allowListPath))
        {
            return null;
        }

        foreach (var path in Directory.EnumerateFiles(directory, "*-" + serial + ".crt"))
        {
            string fingerprint;
            using (var certificate = CertificateFile.Read(path))
            {
                if (!string.Equals(certificate.SerialNumber, serial, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                fingerprint = Fingerprint.Of(certificate.PublicKey.ExportSubjectPublicKeyInfo());
            }

            lock (s_allowListGate)
            {
                var list = AllowList.Load(allowListPath);
                if (list.Find(fingerprint) is not { } entry)
                {
                    return null;
                }

                new AllowList(list.Entries.Where(e => !string.Equals(e.Fingerprint, fingerprint, StringComparison.Ordinal))).Save(allowListPath);
                return entry.Name;
            }
        }

        return null;
    }

    /// <summary>True when the handshake admitted this client only to join: hand the connection to <see cref="HandleAsync(SecureStream, IPEndPoint?, CancellationToken)"/>.</summary>
    public static bool IsJoinRequest(PeerIdentity? identity) => identity?.IsJoinRequest == true;

    /// <summary>Wraps a server's client policy so join requests get through to the join handler.</summary>
    public static IPeerVerifier Gate(IPeerVerifier? inner) => new JoinGateVerifier(inner);

    /// <summary>Runs the join protocol on an authenticated <see cref="SecureStream"/>; never throws for what the client sends.</summary>
    public Task HandleAsync(SecureStream stream, IPEndPoint? remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return HandleAsync(stream, stream.RemoteIdentity!, stream.ExportKeyingMaterial, remote, cancellationToken);
    }

    /// <summary>Runs the join protocol on any authenticated channel; never throws for what the client sends.</summary>
    public async Task HandleAsync(Stream channel, PeerIdentity client, KeyingMaterialExporter exporter, IPEndPoint? remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(exporter);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        JoinEvent outcome;
        try
        {
            outcome = await ExchangeAsync(channel, client, exporter, remote, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JoinException or IOException or OperationCanceledException or EndOfStreamException or ObjectDisposedException or SecureChannelException)
        {
            outcome = new JoinEvent(remote, null, client.Fingerprint, JoinError.Protocol, "join aborted: " + e.Message);
        }

        Completed?.Invoke(outcome);
    }

    private async Task<JoinEvent> ExchangeAsync(Stream channel, PeerIdentity client, KeyingMaterialExporter exporter, IPEndPoint? remote, CancellationToken cancellationToken)
    {
        var caCertificate = _caCertificate.Use(raw => raw) ?? throw new JoinException(JoinError.Unavailable, "this server has no CA certificate to offer");

        await JoinMessage.WriteAsync(channel, new JoinMessage("offer") { Ca = caCertificate }, cancellationToken).ConfigureAwait(false);
        var request = await JoinMessage.ReadAsync(channel, "request", cancellationToken).ConfigureAwait(false);
        if (string.Equals(request.Want, JoinMessage.WantCrl, StringComparison.Ordinal))
        {
            // Public, CA-signed data: any client may refresh its copy; no code, nothing counted against the throttle.
            var list = _crl.Use(raw => raw);
            await JoinMessage.WriteAsync(channel, new JoinMessage("result") { Ca = caCertificate, Crl = list }, cancellationToken).ConfigureAwait(false);
            return new JoinEvent(remote, null, client.Fingerprint, null, $"sent the CA's revocation list to {remote?.ToString() ?? "a client"} (a client refreshing its copy)");
        }

        var now = _options.Time.GetUtcNow();
        var address = remote?.Address.ToString() ?? "unknown";
        if (IsThrottled(address, now))
        {
            return await RefuseAsync(channel, remote, null, client, JoinError.Throttled,
                "too many wrong join codes from this address; wait a minute and check the code", cancellationToken).ConfigureAwait(false);
        }

        var exported = new byte[JoinProof.ExporterLength];
        exporter(JoinProof.ExporterLabel, [], exported);
        var invitation = request.Invitation is { Length: JoinCode.IdLength * 2 } id
            ? _invitations.FindCommitted(id)
            : null;
        if (invitation is null || request.Proof is null
            || !JoinProof.Verify(Convert.FromBase64String(invitation.Verifier), exported, client.SubjectPublicKeyInfo, request.Proof))
        {
            RecordFailure(address, now);
            return await RefuseAsync(channel, remote, invitation?.Name, client, JoinError.WrongCode,
                "this join code is not valid on this server; check it, or ask for a new one with safewire invite", cancellationToken).ConfigureAwait(false);
        }

        if (_options.Admit?.Invoke(invitation, client) is { } refusal)
        {
            return await RefuseAsync(channel, remote, invitation.Name, client, JoinError.Unavailable, refusal, cancellationToken).ConfigureAwait(false);
        }

        // The certificate is signed first (a CA that cannot sign leaves the code unused), then the code is used up and the
        // certificate's copy and the allow-list entry are written, all durable before the joining machine hears of it.
        var role = invitation.Role == "server" ? PeerRole.Server : PeerRole.Client;
        byte[] issued;
        string serial;
        try
        {
            var leaf = new LeafRequest(invitation.Name, role)
            {
                DnsNames = invitation.DnsNames,
                IpAddresses = invitation.IpAddresses.Select(IPAddress.Parse).ToList(),
            };
            using var certificate = _ca.Use(ca => (ca ?? throw new IdentityFileException(IdentityFileError.NotFound, _home.CaKeyPath, "no CA key"))
                .IssueForPublicKey(leaf, client.SubjectPublicKeyInfo, now));
            issued = certificate.RawData;
            serial = certificate.SerialNumber;
        }
        catch (Exception e) when (e is IdentityFileException or CryptographicException)
        {
            return await RefuseAsync(channel, remote, invitation.Name, client, JoinError.Unavailable,
                "the server cannot issue certificates right now (its CA key is not readable); tell its administrator", cancellationToken).ConfigureAwait(false);
        }

        var allow = role == PeerRole.Client && _options.AllowListPath is { } allowPath
            ? (allowPath, new AllowListEntry(client.Fingerprint, invitation.Name, "joined " + now.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)))
            : ((string, AllowListEntry)?)null;
        var commit = new JoinCommit(invitation.Id, client.Fingerprint, now, IssuedPath(_home, invitation.Name, serial), PemFile.Encode("CERTIFICATE", issued), allow);
        var (current, consumed) = await _commit.SubmitAsync(commit).ConfigureAwait(false); // not cancelled midway: a used code gets its certificate
        if (!consumed)
        {
            return current?.Used is not null
                ? await RefuseAsync(channel, remote, invitation.Name, client, JoinError.Used,
                    $"this join code was used already ({current.Used.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC); ask for a new one with safewire invite", cancellationToken).ConfigureAwait(false)
                : await RefuseAsync(channel, remote, invitation.Name, client, JoinError.Expired,
                    $"this join code expired at {invitation.Expires.UtcDateTime:yyyy-MM-dd HH:mm} UTC; ask for a new one with safewire invite", cancellationToken).ConfigureAwait(false);
        }

        try
        {
            _options.Joined?.Invoke(invitation, client);
        }
#pragma warning disable CA1031 // whatever the server's own step failed with, the joining machine is told, not left waiting
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return await RefuseAsync(channel, remote, invitation.Name, client, JoinError.Unavailable,
                $"the server issued certificate {serial} but could not finish setting this machine up ({e.Message}); tell its administrator", cancellationToken).ConfigureAwait(false);
        }

        var crl = _crl.Use(raw => raw);
        await JoinMessage.WriteAsync(channel, new JoinMessage("result")
        {
            Name = invitation.Name,
            Role = invitation.Role,
            Certificate = issued,
            Ca = caCertificate,
            Crl = crl,
        }, cancellationToken).ConfigureAwait(false);
        return new JoinEvent(remote, invitation.Name, client.Fingerprint, null, $"{invitation.Name} joined as a {invitation.Role} with key {client.Fingerprint}, certificate serial {serial} (to shut it out: safewire cert revoke {serial})");
    }

    /// <summary>
    /// The durable part of a batch of joins: uses up their codes (one rewrite of the invitations file), then, for the joins
    /// that got their code, writes the issued certificates' copies and the allow-list(s) with one entry more each, flushed
    /// together (<see cref="SecureFile.WriteAll"/>). Each result says what was found and whether that join used it up.
    /// </summary>
    private IReadOnlyList<(Invitation? Found, bool Consumed)> CommitJoins(IReadOnlyList<JoinCommit> batch)
    {
        var results = _invitations.TryConsumeAll([.. batch.Select(j => (j.Id, j.Fingerprint, j.Now))]);
        var files = new List<(string Path, byte[] Content, bool Secret)>();
        var joined = new List<JoinCommit>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i].Consumed)
            {
                files.Add((batch[i].IssuedPath, batch[i].IssuedPem, false));
                joined.Add(batch[i]);
            }
        }

        lock (s_allowListGate)
        {
            var lists = new List<(FileVersionCache<AllowList> Cache, AllowList List)>();
            foreach (var group in joined.Where(j => j.Allow is not null).GroupBy(j => j.Allow!.Value.Path, StringComparer.Ordinal))
            {
                var cache = _allowLists.GetOrAdd(group.Key, path => new FileVersionCache<AllowList>(path, AllowList.Load));
                var list = new AllowList(cache.Use(current => current?.Entries));
                foreach (var join in group)
                {
                    list.Add(join.Allow!.Value.Entry);
                }

                files.Add((group.Key, list.Encode(), false));
                lists.Add((cache, list));
            }

            SecureFile.WriteAll(files);
            foreach (var (cache, list) in lists)
            {
                cache.Set(list);
            }
        }

        return results;
    }

    private static async Task<JoinEvent> RefuseAsync(Stream channel, IPEndPoint? remote, string? name, PeerIdentity client, JoinError error, string message, CancellationToken cancellationToken)
    {
        await JoinMessage.WriteAsync(channel, new JoinMessage("result") { Error = JoinMessage.ErrorName(error), Message = message }, cancellationToken).ConfigureAwait(false);
        return new JoinEvent(remote, name, client.Fingerprint, error, "join refused: " + message);
    }

    private bool IsThrottled(string address, DateTimeOffset now)
    {
        lock (_allFailures)
        {
            Trim(_allFailures, now);
            if (_allFailures.Count >= _options.MaxFailuresTotal)
            {
                return true;
            }

            if (_failures.TryGetValue(address, out var mine))
            {
                Trim(mine, now);
                return mine.Count >= _options.MaxFailuresPerAddress;
            }

            return false;
        }
    }

    private void RecordFailure(string address, DateTimeOffset now)
    {
        lock (_allFailures)
        {
            _allFailures.Enqueue(now);
            _failures.GetOrAdd(address, _ => new Queue<DateTimeOffset>()).Enqueue(now);
            if (_failures.Count > 10_000)
            {
                foreach (var (key, queue) in _failures)
                {
                    Trim(queue, now);
                    if (queue.Count == 0)
                    {
                        _failures.TryRemove(key, out _);
                    }
                }
            }
        }
    }

    private void Trim(Queue<DateTimeOffset> queue, DateTimeOffset now)
    {
        while (queue.Count > 0 && queue.Peek() < now - _options.ThrottleWindow)
        {
            queue.Dequeue();
        }
    }
}

/// <summary>What one join needs made durable before its machine hears of it.</summary>
/// <param name="Id">The invitation to use up.</param>
/// <param name="Fingerprint">The joining key.</param>
/// <param name="Now">The join's time (expiry is checked against it).</param>
/// <param name="IssuedPath">Where the issued certificate's copy goes.</param>
/// <param name="IssuedPem">The copy (PEM).</param>
/// <param name="Allow">The allow-list and the entry to add, or null.</param>
internal sealed record JoinCommit(string Id, string Fingerprint, DateTimeOffset Now, string IssuedPath, byte[] IssuedPem, (string Path, AllowListEntry Entry)? Allow);
