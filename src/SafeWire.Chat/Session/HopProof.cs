using System.Buffers.Binary;
using SafeWire.Chat.Channels;

namespace SafeWire.Chat.Session;

/// <summary>
/// The value a hopping client shows on its new port: the control session's exporter output for
/// <see cref="ExporterLabel"/> with the hop port (u16, big-endian) as context. Only the two ends of that
/// control session can compute it, and it is bound to the port, so it cannot be replayed elsewhere.
/// </summary>
internal static class HopProof
{
    public const string ExporterLabel = "EXPORTER-safewire-chat-hop";

    public static void Compute(IChatChannel control, int hopPort, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(control);
        Span<byte> context = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(context, checked((ushort)hopPort));
        control.ExportKeyingMaterial(ExporterLabel, context, destination);
    }
}
