using System.Globalization;
using System.Text;
using SafeWire.Cli.Commands.Chat;
using SafeWire.Protocol;

namespace SafeWire.Cli.Commands.Trace;

/// <summary>
/// Prints a client's view of the handshake as it happens: each message with its fields and sizes, what was checked,
/// and which secrets were derived (their values only with --reveal-secrets); optionally appends a key log.
/// </summary>
internal sealed class HandshakeTracer(ChatOutput output, bool revealSecrets, string? keyLogPath) : IHandshakeObserver
{
    private const int MaxShownValue = 64;
    private int _step;
    private bool _encrypted;

    public void OnHandshakeMessage(bool sent, string type, ReadOnlySpan<byte> message)
    {
        if (type == "ClientHello")
        {
            _encrypted = false; // a new handshake (e.g. on the hop port) starts in clear again
        }

        var protection = _encrypted ? "encrypted under the handshake keys" : "in clear";
        output.Line(string.Create(CultureInfo.InvariantCulture,
            $"[{++_step}] {(sent ? "client -> server" : "server -> client")}  {type}  ({message.Length} bytes: 4-byte header + {message.Length - 4}-byte body, {protection})"));
        foreach (var field in HandshakeFields.Describe(message))
        {
            output.Line(string.Create(CultureInfo.InvariantCulture, $"      {field.Name,-14} {field.Size,5} B  {Shorten(field.Value)}"));
        }

        if (Meaning(sent, type) is { } meaning)
        {
            output.Line("      " + meaning);
        }

        if (type == "ServerHello")
        {
            _encrypted = true; // everything after the ServerHello travels under handshake keys
        }
    }

    public void OnSecret(string label, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> secret)
    {
        var value = revealSecrets ? Convert.ToHexStringLower(secret) : "(value hidden; --reveal-secrets prints it)";
        output.Line($"    derived {label} ({secret.Length} bytes): {value}");
        if (keyLogPath is not null)
        {
            var line = $"{label} {Convert.ToHexStringLower(clientRandom)} {Convert.ToHexStringLower(secret)}\n";
            var header = File.Exists(keyLogPath) ? string.Empty : "# SafeWire key log: NSS key log format (LABEL CLIENT_RANDOM SECRET, hex); see docs/CHAT.md\n";
            File.AppendAllText(keyLogPath, header + line, Encoding.ASCII);
        }
    }

    private static string? Meaning(bool sent, string type) => (sent, type) switch
    {
        (true, "ClientHello") => "-> offers suites and an ephemeral ECDH key; the random makes this handshake unique (no replays)",
        (false, "ServerHello") => "checked: version and suite are ones this client offered; ECDH shared secret computed -> handshake secret",
        (false, "CertificateRequest") => "the server asks this client to prove its identity too",
        (false, "Certificate") => "verified: the trust policy (a CA this home trusts, --ca, or the key in known_hosts) accepted the server's key",
        (false, "CertificateVerify") => "verified: the server's signature over the transcript hash, made with the key of that certificate",
        (false, "Finished") => "verified: HMAC over the whole transcript with the server's finished key: nothing was changed in transit",
        (true, "Certificate") => "this client's certificate (encrypted: an eavesdropper does not learn who connects)",
        (true, "CertificateVerify") => "this client's signature over the transcript hash",
        (true, "Finished") => "HMAC over the whole transcript with the client's finished key",
        (false, "NewSessionTicket") => "a resumption ticket for a cheaper reconnect (still with fresh ECDHE)",
        _ => null,
    };

    private static string Shorten(string value) => value.Length <= MaxShownValue ? value : value[..MaxShownValue] + "…";
}
