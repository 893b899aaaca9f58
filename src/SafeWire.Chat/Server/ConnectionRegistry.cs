using System.Collections.Concurrent;

namespace SafeWire.Chat.Server;

/// <summary>
/// The connected clients: ids, the max-clients quota, unique names. Adds and removes take a lock;
/// the many readers (relays, <c>list</c>) read the concurrent dictionary without one.
/// </summary>
internal sealed class ConnectionRegistry(int maxClients)
{
    private readonly ConcurrentDictionary<uint, ClientConnection> _clients = new();
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _gate = new();
    private int _nextId;

    public int MaxClients { get; } = maxClients;

    public int Count => _clients.Count;

    public ICollection<ClientConnection> All => _clients.Values;

    public uint NextId() => (uint)Interlocked.Increment(ref _nextId);

    /// <summary>Adds the client unless the server is full; makes its name unique ("alice", "alice-2", …).</summary>
    public bool TryAdd(ClientConnection client)
    {
        lock (_gate)
        {
            if (_clients.Count >= MaxClients)
            {
                return false;
            }

            var baseName = client.Name;
            for (var n = 2; !_names.Add(client.Name); n++)
            {
                client.Name = $"{baseName}-{n}";
            }

            _clients[client.Id] = client;
            return true;
        }
    }

    public void Remove(ClientConnection client)
    {
        lock (_gate)
        {
            if (_clients.TryRemove(new KeyValuePair<uint, ClientConnection>(client.Id, client)))
            {
                _names.Remove(client.Name);
            }
        }
    }

    public ClientConnection? Find(uint id) => _clients.TryGetValue(id, out var client) ? client : null;
}
