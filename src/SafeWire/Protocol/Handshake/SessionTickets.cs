using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using SafeWire.Identity;
using SafeWire.Protocol.Messages;

namespace SafeWire.Protocol.Handshake;

/// <summary>What a resumption ticket lets the server restore: the suite, the PSK and who the client was.</summary>
internal sealed record TicketState(CipherSuite Suite, byte[] PreSharedKey, PeerIdentity? Client);

/// <summary>
/// The server's resumption tickets: AES-256-GCM under a key only this server holds, each ticket single-use
/// (its ID is remembered until it expires) and expiring after <see cref="Lifetime"/>.
/// Ticket = nonce (12) | AES-GCM(ticket_state) | tag (16), AAD = "safewire1 ticket".
/// Share one store across a server's connections; it is thread-safe. Dispose zeroes the key.
/// </summary>
public sealed class SessionTicketStore : IDisposable
{
    private static readonly byte[] s_aad = Encoding.ASCII.GetBytes("safewire1 ticket");
    private readonly AesGcm _aead;
    private readonly Lock _aeadLock = new();
    private readonly ConcurrentDictionary<UInt128, long> _redeemed = new();
    private readonly int _maxRemembered;

    /// <param name="lifetime">How long a ticket can be used (default 1 hour, at most 7 days).</param>
    /// <param name="maxRememberedTickets">Cap on remembered redeemed tickets; above it resumption falls back to full handshakes.</param>
    public SessionTicketStore(TimeSpan? lifetime = null, int maxRememberedTickets = 100_000)
    {
        Lifetime = lifetime ?? TimeSpan.FromHours(1);
        if (Lifetime <= TimeSpan.Zero || Lifetime > TimeSpan.FromDays(7))
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), "A ticket lifetime is between 0 and 7 days.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRememberedTickets);
        _maxRemembered = maxRememberedTickets;
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        _aead = new AesGcm(key, 16);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>How long an issued ticket can be redeemed.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>Destroys the ticket key: tickets issued so far can no longer be redeemed.</summary>
    public void Dispose() => _aead.Dispose();

    internal byte[] Issue(TicketState state, DateTimeOffset now, Action<Span<byte>> random)
    {
        var w = new WireWriter();
        Span<byte> id = stackalloc byte[16];
        random(id);
        w.WriteBytes(id);
        w.WriteInt64((now + Lifetime).ToUnixTimeMilliseconds());
        w.WriteUInt16((ushort)state.Suite);
        w.WriteVector8(state.PreSharedKey);
        if (state.Client is { } client)
        {
            w.WriteUInt8(1);
            w.WriteVector16(Encoding.UTF8.GetBytes(client.Name));
            w.WriteVector16(client.SubjectPublicKeyInfo);
        }
        else
        {
            w.WriteUInt8(0);
        }

        var plaintext = w.Written;
        var ticket = new byte[12 + plaintext.Length + 16];
        random(ticket.AsSpan(0, 12));
        lock (_aeadLock)
        {
            _aead.Encrypt(ticket.AsSpan(0, 12), plaintext, ticket.AsSpan(12, plaintext.Length), ticket.AsSpan(12 + plaintext.Length), s_aad);
        }

        w.Zero();
        return ticket;
    }

    /// <summary>Decrypts, checks expiry, and marks the ticket used. Null for anything not redeemable (then: full handshake).</summary>
    internal TicketState? TryRedeem(ReadOnlySpan<byte> ticket, DateTimeOffset now)
    {
        if (ticket.Length < 12 + 16 + 16 + 8 + 2 + 1 + 1 || ticket.Length > ClientHello.MaxTicket)
        {
            return null;
        }

        var plaintext = new byte[ticket.Length - 28];
        try
        {
            lock (_aeadLock)
            {
                _aead.Decrypt(ticket[..12], ticket[12..^16], ticket[^16..], plaintext, s_aad);
            }
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }

        try
        {
            var r = new WireReader(plaintext, "ticket");
            var id = BinaryPrimitives.ReadUInt128BigEndian(r.ReadBytes(16));
            long expires = r.ReadInt64();
            var suite = (CipherSuite)r.ReadUInt16();
            var psk = r.ReadVector8().ToArray();
            PeerIdentity? client = null;
            if (r.ReadUInt8() == 1)
            {
                var name = Encoding.UTF8.GetString(r.ReadVector16());
                var spki = r.ReadVector16().ToArray();
                client = new PeerIdentity(name, Fingerprint.Of(spki), spki, null);
            }

            r.EnsureEnd();
            long nowMs = now.ToUnixTimeMilliseconds();
            if (nowMs >= expires || !Remember(id, expires, nowMs))
            {
                return null;
            }

            return new TicketState(suite, psk, client);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private bool Remember(UInt128 id, long expires, long nowMs)
    {
        if (_redeemed.Count >= _maxRemembered)
        {
            foreach (var (key, until) in _redeemed)
            {
                if (until <= nowMs)
                {
                    _redeemed.TryRemove(key, out _);
                }
            }

            if (_redeemed.Count >= _maxRemembered)
            {
                return false;
            }
        }

        // TryAdd is the single-use gate: a second redemption of the same ticket loses here.
        return _redeemed.TryAdd(id, expires);
    }
}

/// <summary>A ticket the client holds for one server.</summary>
internal sealed record ClientTicket(byte[] Ticket, byte[] PreSharedKey, CipherSuite Suite, PeerIdentity Server, DateTimeOffset Expires);

/// <summary>
/// The client's resumption tickets, one per server name (the newest wins). Each ticket is taken out when
/// offered, because the server accepts it only once. Thread-safe; share it across connections.
/// </summary>
public sealed class SessionTicketCache
{
    private readonly ConcurrentDictionary<string, ClientTicket> _tickets = new(StringComparer.Ordinal);
    private readonly int _capacity;

    /// <summary>A cache holding tickets for at most <paramref name="capacity"/> servers; set it on <see cref="Transport.SecureClientOptions.SessionCache"/> of every connection that may resume.</summary>
    public SessionTicketCache(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>Tickets held now.</summary>
    public int Count => _tickets.Count;

    internal void Add(string serverKey, ClientTicket ticket)
    {
        if (_tickets.Count >= _capacity && !_tickets.ContainsKey(serverKey))
        {
            return;
        }

        _tickets[serverKey] = ticket;
    }

    internal ClientTicket? TryTake(string serverKey, DateTimeOffset now)
    {
        if (_tickets.TryRemove(serverKey, out var ticket) && ticket.Expires > now)
        {
            return ticket;
        }

        return null;
    }
}
