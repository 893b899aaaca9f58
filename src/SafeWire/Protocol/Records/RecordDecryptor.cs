using System.Security.Cryptography;
using SafeWire.Protocol.KeySchedule;

namespace SafeWire.Protocol.Records;

/// <summary>One record opened by a <see cref="RecordDecryptor"/>: its inner content type (21, 22 or 23), sequence number and content.</summary>
internal sealed record DecryptedRecord(byte ContentType, ulong Sequence, byte[] Content);

/// <summary>
/// Opens the records of one direction of a recorded session with a traffic secret from a key log, using the same
/// record protection and key schedule as a live connection (for analysis tools such as <c>safewire capture decrypt</c>).
/// Records must be opened in the order they were sent: the sequence number is implicit, as on the wire.
/// </summary>
internal sealed class RecordDecryptor : IDisposable
{
    private readonly CipherSuite _suite;
    private TrafficSecret _secret;
    private RecordProtection _protection;

    private RecordDecryptor(CipherSuite suite, TrafficSecret secret)
    {
        _suite = suite;
        _secret = secret;
        _protection = RecordProtection.Create(suite, secret, long.MaxValue);
    }

    /// <summary>Keys from a handshake traffic secret (key log labels <c>CLIENT_HANDSHAKE_TRAFFIC_SECRET</c>, <c>SERVER_HANDSHAKE_TRAFFIC_SECRET</c>).</summary>
    public static RecordDecryptor ForHandshake(CipherSuite suite, ReadOnlySpan<byte> secret) =>
        new(suite, new HandshakeTrafficSecret(KeyDerivation.SafeWire, CheckSecret(secret)));

    /// <summary>Keys from an application traffic secret (key log labels <c>CLIENT_TRAFFIC_SECRET_0</c>, <c>SERVER_TRAFFIC_SECRET_0</c>).</summary>
    public static RecordDecryptor ForApplication(CipherSuite suite, ReadOnlySpan<byte> secret) =>
        new(suite, new ApplicationTrafficSecret(KeyDerivation.SafeWire, CheckSecret(secret)));

    /// <summary>The sequence number the next record is opened with.</summary>
    public ulong Sequence => _protection.Sequence;

    /// <summary>How many key updates this direction has gone through.</summary>
    public int KeyGeneration { get; private set; }

    /// <summary>
    /// Opens one whole record (21-byte header and body). Returns null when it does not authenticate with the next
    /// sequence number or its inner plaintext is malformed; the sequence number advances either way.
    /// </summary>
    public DecryptedRecord? Open(ReadOnlySpan<byte> record)
    {
        if (record.Length < ProtocolConstants.RecordHeaderLength || record.Length > ProtocolConstants.MaxRecordLength)
        {
            return null;
        }

        var sequence = _protection.Sequence;
        var copy = record.ToArray();
        try
        {
            if (!_protection.TryOpen(copy, out int innerLength) || innerLength == 0 || innerLength > ProtocolConstants.MaxPlaintext + 1)
            {
                return null;
            }

            int start = ProtocolConstants.RecordHeaderLength + _protection.PlaintextOffset;
            return new DecryptedRecord(copy[start + innerLength - 1], sequence, copy.AsSpan(start, innerLength - 1).ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    /// <summary>Moves an application key one ratchet step, as the receiver does after a KeyUpdate message in this direction.</summary>
    public void UpdateKey()
    {
        if (_secret is not ApplicationTrafficSecret application)
        {
            throw new InvalidOperationException("Only application traffic keys are updated (KeyUpdate comes after the handshake).");
        }

        var next = application.Next();
        _protection.Dispose();
        _secret.Dispose();
        _secret = next;
        _protection = RecordProtection.Create(_suite, next, long.MaxValue);
        KeyGeneration++;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _protection.Dispose();
        _secret.Dispose();
    }

    private static byte[] CheckSecret(ReadOnlySpan<byte> secret) => secret.Length == 32
        ? secret.ToArray()
        : throw new ArgumentException($"A SafeWire traffic secret is 32 bytes, not {secret.Length}.", nameof(secret));
}

/// <summary>Describes handshake messages read from a capture, where any bytes may appear: never throws.</summary>
internal static class CapturedHandshakeFields
{
    /// <summary>The fields of one handshake message (4-byte header included), or one "malformed" field saying why it cannot be read.</summary>
    public static IReadOnlyList<HandshakeField> Describe(ReadOnlySpan<byte> message)
    {
        try
        {
            return HandshakeFields.Describe(message);
        }
        catch (ProtocolException e)
        {
            return [new HandshakeField("malformed", message.Length, e.Message)];
        }
    }
}
