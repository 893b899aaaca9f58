using SafeWire.Framing;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace SafeWire.KeyDistribution.Wire;

/// <summary>A transfer's 128-bit random identifier: names one pairing, its keys and its single use.</summary>
public readonly record struct TransferId(UInt128 Value)
{
    /// <summary>Bytes of a transfer ID on the wire (128 random bits).</summary>
    public const int Size = 16;

    internal static TransferId NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Size];
        RandomNumberGenerator.Fill(bytes);
        return new TransferId(BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    internal static TransferId Read(ref FieldReader reader) => new(BinaryPrimitives.ReadUInt128BigEndian(reader.Bytes16Exactly(Size)));

    internal void Write(FieldWriter writer)
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        writer.Bytes16(bytes);
    }

    internal void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, Value);

    /// <summary>The first 8 hex digits: enough to tell transfers apart in logs.</summary>
    public string Abbreviated => ToString()[..8];

    /// <summary>The ID as 32 lower-case hex digits.</summary>
    public override string ToString() => Value.ToString("x32", CultureInfo.InvariantCulture);
}
