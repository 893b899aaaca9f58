using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Enrollment;

/// <summary>Why a join code could not be read.</summary>
internal sealed class JoinCodeFormatException(string message) : FormatException(message);

/// <summary>
/// The one-line join code printed by <c>safewire invite</c>: where to connect, the CA's key fingerprint (the pin
/// the joining side checks the server against), the invitation's id and its 128-bit secret. Text form:
/// <c>SWJ1-</c> + Crockford base32 of <c>version | host | port | CA SHA-256 | id | secret | check</c>, where the
/// last 4 bytes are the start of SHA-256 over the rest, so a mistyped code is caught before anything is sent.
/// </summary>
internal sealed record JoinCode(string Host, int Port, byte[] CaPin, byte[] InvitationId, byte[] Secret)
{
    /// <summary>The text every code starts with.</summary>
    public const string Prefix = "SWJ1-";

    /// <summary>Length of the invitation id in bytes.</summary>
    public const int IdLength = 8;

    /// <summary>Length of the secret in bytes (128 bits).</summary>
    public const int SecretLength = 16;

    private const byte Version = 1;
    private const int CheckLength = 4;
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>The invitation id as lowercase hex (how the server files it).</summary>
    public string IdText => Convert.ToHexStringLower(InvitationId);

    /// <summary>The CA pin as <c>SHA256:…</c>.</summary>
    public string CaFingerprint => Identity.Fingerprint.Prefix + Convert.ToBase64String(CaPin).TrimEnd('=');

    /// <summary>Encodes the code as one line of text.</summary>
    public override string ToString()
    {
        var host = Encoding.UTF8.GetBytes(Host);
        var body = new byte[1 + 1 + host.Length + 2 + 32 + IdLength + SecretLength];
        var at = 0;
        body[at++] = Version;
        body[at++] = checked((byte)host.Length);
        host.CopyTo(body, at);
        at += host.Length;
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(at), checked((ushort)Port));
        at += 2;
        CaPin.CopyTo(body, at);
        at += 32;
        InvitationId.CopyTo(body, at);
        at += IdLength;
        Secret.CopyTo(body, at);
        var all = new byte[body.Length + CheckLength];
        body.CopyTo(all, 0);
        SHA256.HashData(body).AsSpan(0, CheckLength).CopyTo(all.AsSpan(body.Length));
        return Prefix + Base32(all);
    }

    /// <summary>Reads a code; a typing mistake, a truncated or foreign string throws <see cref="JoinCodeFormatException"/>.</summary>
    public static JoinCode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (!trimmed.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new JoinCodeFormatException($"this is not a SafeWire join code (it should start with {Prefix}); copy the whole last line that safewire invite printed");
        }

        var bytes = FromBase32(trimmed[Prefix.Length..]);
        if (bytes is null || bytes.Length < 1 + 1 + 2 + 32 + IdLength + SecretLength + CheckLength)
        {
            throw new JoinCodeFormatException("the join code is mistyped or cut short; copy the whole last line that safewire invite printed");
        }

        var body = bytes.AsSpan(0, bytes.Length - CheckLength);
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(body).AsSpan(0, CheckLength), bytes.AsSpan(bytes.Length - CheckLength)))
        {
            throw new JoinCodeFormatException("the join code is mistyped (its check digits do not match); copy it again exactly as safewire invite printed it");
        }

        if (body[0] != Version)
        {
            throw new JoinCodeFormatException($"this join code has version {body[0]}; this safewire reads version {Version}");
        }

        var hostLength = body[1];
        if (body.Length != 2 + hostLength + 2 + 32 + IdLength + SecretLength)
        {
            throw new JoinCodeFormatException("the join code is mistyped or cut short; copy the whole last line that safewire invite printed");
        }

        var at = 2;
        var host = Encoding.UTF8.GetString(body.Slice(at, hostLength));
        at += hostLength;
        var port = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
        at += 2;
        var pin = body.Slice(at, 32).ToArray();
        at += 32;
        var id = body.Slice(at, IdLength).ToArray();
        at += IdLength;
        var secret = body.Slice(at, SecretLength).ToArray();
        if (host.Length == 0 || port == 0)
        {
            throw new JoinCodeFormatException("the join code names no server address");
        }

        return new JoinCode(host, port, pin, id, secret);
    }

    /// <summary>Where the code points, as HOST:PORT (IPv6 in brackets).</summary>
    public string Address => (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    private static string Base32(byte[] data)
    {
        var text = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }

    private static byte[]? FromBase32(string text)
    {
        var output = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var raw in text)
        {
            var c = char.ToUpperInvariant(raw) switch { 'O' => '0', 'I' or 'L' => '1', var other => other };
            if (c is '-' or ' ')
            {
                continue;
            }

            var value = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (value < 0)
            {
                return null;
            }

            buffer = ((buffer << 5) | value) & 0xFFFF;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)((buffer >> (bits - 8)) & 0xFF));
                bits -= 8;
            }
        }

        // Leftover bits are padding: fewer than 5 and all zero, or a character was added or changed.
        return bits < 5 && (buffer & ((1 << bits) - 1)) == 0 ? [.. output] : null;
    }
}
