using System.Buffers.Binary;
using System.Text.Json;

namespace SafeWire.Enrollment;

/// <summary>Why a join failed; the server sends the code's name in snake_case.</summary>
internal enum JoinError
{
    /// <summary>No invitation has this code, or the proof does not match its secret.</summary>
    WrongCode,
    /// <summary>The code was used already.</summary>
    Used,
    /// <summary>The code has expired.</summary>
    Expired,
    /// <summary>Too many wrong codes from this address lately.</summary>
    Throttled,
    /// <summary>The server could not issue (its CA key is not readable, ...).</summary>
    Unavailable,
    /// <summary>The server's CA is not the one the code names (an impersonator, or a stale code).</summary>
    PinMismatch,
    /// <summary>The server's certificate does not pass the pinned CA's checks (name, usage, revocation).</summary>
    ServerNotTrusted,
    /// <summary>A malformed or unexpected message.</summary>
    Protocol,
    /// <summary>The server could not be reached.</summary>
    Unreachable,
}

/// <summary>A join failure with its reason and one line for the user.</summary>
internal sealed class JoinException(JoinError error, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The reason.</summary>
    public JoinError Error { get; } = error;
}

/// <summary>
/// One message of the join protocol (docs/IDENTITY.md, "Join protocol"): "offer" (server: its CA certificate),
/// "request" (client: invitation id and proof), "result" (server: the certificate, CA and CRL, or an error).
/// Binary fields are base64 in JSON; each message is a 4-byte big-endian length and that many bytes of JSON.
/// </summary>
internal sealed record JoinMessage(string Type)
{
    /// <summary>The <see cref="Want"/> of a request for the CA's revocation list.</summary>
    public const string WantCrl = "crl";

    /// <summary>Largest message accepted (the CRL can grow).</summary>
    public const int MaxLength = 1 << 20;

    /// <summary>Protocol version (offer).</summary>
    public int Version { get; init; } = 1;

    /// <summary>DER CA certificate (offer, result).</summary>
    public byte[]? Ca { get; init; }

    /// <summary>DER CRL (result).</summary>
    public byte[]? Crl { get; init; }

    /// <summary>Invitation id, hex (request).</summary>
    public string? Invitation { get; init; }

    /// <summary>The proof signature (request).</summary>
    public byte[]? Proof { get; init; }

    /// <summary>Error code (result), e.g. "wrong_code".</summary>
    public string? Error { get; init; }

    /// <summary>One line for the user (result).</summary>
    public string? Message { get; init; }

    /// <summary>The name certified (result).</summary>
    public string? Name { get; init; }

    /// <summary>"client" or "server" (result).</summary>
    public string? Role { get; init; }

    /// <summary>"crl" (request): no code, only the CA's current revocation list (a joined client refreshing its copy).</summary>
    public string? Want { get; init; }

    /// <summary>The DER certificate issued (result).</summary>
    public byte[]? Certificate { get; init; }

    internal static async Task WriteAsync(Stream stream, JoinMessage message, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, EnrollmentJson.Default.JoinMessage);
        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, json.Length);
        json.CopyTo(frame, 4);
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<JoinMessage> ReadAsync(Stream stream, string expectedType, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is <= 0 or > MaxLength)
        {
            throw new JoinException(JoinError.Protocol, $"the peer sent a join message of {length} bytes (at most {MaxLength})");
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        JoinMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(body, EnrollmentJson.Default.JoinMessage);
        }
        catch (JsonException e)
        {
            throw new JoinException(JoinError.Protocol, "the peer sent a malformed join message", e);
        }

        return message is not null && string.Equals(message.Type, expectedType, StringComparison.Ordinal)
            ? message
            : throw new JoinException(JoinError.Protocol, $"the peer sent \"{message?.Type}\" where \"{expectedType}\" was expected");
    }

    internal static string ErrorName(JoinError error) => error switch
    {
        JoinError.WrongCode => "wrong_code",
        JoinError.Used => "used",
        JoinError.Expired => "expired",
        JoinError.Throttled => "throttled",
        JoinError.Unavailable => "unavailable",
        _ => "protocol",
    };

    internal static JoinError ParseError(string? name) => name switch
    {
        "wrong_code" => JoinError.WrongCode,
        "used" => JoinError.Used,
        "expired" => JoinError.Expired,
        "throttled" => JoinError.Throttled,
        "unavailable" => JoinError.Unavailable,
        _ => JoinError.Protocol,
    };
}
