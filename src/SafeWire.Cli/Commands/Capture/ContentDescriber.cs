using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SafeWire.Chat.Wire;
using SafeWire.Files.Transfer;
using SafeWire.Protocol;

namespace SafeWire.Cli.Commands.Capture;

/// <summary>One-line descriptions of opened record contents: handshake messages with their fields, alerts, and chat or file frames.</summary>
internal static class ContentDescriber
{
    private const int Preview = 60;

    public static IEnumerable<string> Handshake(byte[] content)
    {
        int offset = 0;
        while (content.Length - offset >= 4)
        {
            int length = (content[offset + 1] << 16) | (content[offset + 2] << 8) | content[offset + 3];
            if (content.Length - offset - 4 < length)
            {
                yield return $"part of a handshake message (type {content[offset]}, {length}-byte body) continued in the next record";
                yield break;
            }

            var message = content.AsSpan(offset, 4 + length).ToArray();
            yield return $"{HandshakeName(content[offset])} ({length}-byte body)";
            foreach (var field in Protocol.Records.CapturedHandshakeFields.Describe(message))
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"    {field.Name,-14} {field.Size,5} B  {Shorten(field.Value, 80)}");
            }

            offset += 4 + length;
        }
    }

    public static string Alert(byte[] content)
    {
        if (content.Length != 2)
        {
            return $"malformed alert ({content.Length} bytes)";
        }

        var alert = (Protocol.Alert)content[0];
        var name = Enum.IsDefined(alert) ? alert.ToString() : $"alert {content[0]}";
        return content[1] == 0xFF ? $"alert {name}" : $"alert {name} (trust reason {content[1]})";
    }

    /// <summary>Chat frames (<c>u8 type | u32 length | payload</c>) or file frames (<c>u32 length | u8 type | payload</c>) when the content is whole frames; else a preview.</summary>
    public static IEnumerable<string> Application(byte[] content)
    {
        if (TryChat(content) is { } chat)
        {
            return chat;
        }

        if (TryFiles(content) is { } files)
        {
            return files;
        }

        return [$"{content.Length} bytes: {Printable(content)}"];
    }

    private static List<string>? TryChat(byte[] content)
    {
        var lines = new List<string>();
        int offset = 0;
        while (offset < content.Length)
        {
            if (content.Length - offset < ChatFrameCodec.HeaderLength || !Enum.IsDefined((ChatFrameType)content[offset]))
            {
                return null;
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(content.AsSpan(offset + 1));
            if (length > content.Length - offset - ChatFrameCodec.HeaderLength)
            {
                return null;
            }

            var type = (ChatFrameType)content[offset];
            try
            {
                lines.Add("chat " + Chat(ChatFrameCodec.Decode(type, content.AsSpan(offset + ChatFrameCodec.HeaderLength, (int)length))));
            }
            catch (ChatProtocolException)
            {
                return null;
            }

            offset += ChatFrameCodec.HeaderLength + (int)length;
        }

        return lines.Count > 0 ? lines : null;
    }

    private static string Chat(ChatMessage message) => message switch
    {
        HelloMessage m => $"Hello: name \"{m.Name}\"",
        WelcomeMessage m => $"Welcome: client #{m.ClientId} \"{m.Name}\" on server \"{m.ServerName}\", {m.Total} others here",
        RefusedMessage m => $"Refused ({m.Reason}): {m.Text}",
        HopOfferMessage m => $"HopOffer: port {m.Port}",
        ChatTextMessage m => $"Chat #{m.MessageId}: \"{m.Text}\"",
        AckMessage m => $"Ack: message #{m.MessageId} delivered to {m.DeliveredTo}",
        RelayedMessage m => $"Relayed from #{m.FromId} \"{m.FromName}\": \"{m.Text}\"",
        BroadcastMessage m => $"Broadcast: \"{m.Text}\"",
        WhoListMessage m => $"WhoList: {string.Join(", ", m.Members.Select(x => $"#{x.Id} {x.Name}"))}",
        MemberJoinedMessage m => $"MemberJoined: #{m.Member.Id} \"{m.Member.Name}\"",
        MemberLeftMessage m => $"MemberLeft: #{m.Member.Id} \"{m.Member.Name}\" ({m.Reason})",
        NoticeMessage m => $"Notice: \"{m.Text}\"",
        KickedMessage m => $"Kicked: {m.Reason}",
        ServerStoppingMessage m => $"ServerStopping: {m.Reason}",
        DirectDataMessage m => $"DirectData: peer #{m.PeerId}, {m.Data.Length} bytes (end-to-end encrypted)",
        _ => message.Type.ToString(),
    };

    private static List<string>? TryFiles(byte[] content)
    {
        if (content.Length < 5)
        {
            return null;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(content);
        var type = (FileMessageType)content[4];
        if (length == 0 || length > 1024 * 1024 || !Enum.IsDefined(type))
        {
            return null;
        }

        var payload = content.AsSpan(5, (int)Math.Min(length - 1, (uint)content.Length - 5));
        var whole = length - 1 == payload.Length ? string.Empty : $", first {payload.Length} bytes here, the rest in the next records";
        var detail = type switch
        {
            FileMessageType.List or FileMessageType.Stat or FileMessageType.Get or FileMessageType.Put
                or FileMessageType.Delete or FileMessageType.MakeDirectory => FilePath(payload),
            FileMessageType.Error when payload.Length >= 1 => $": {(FileErrorCode)payload[0]} {FilePath(payload[1..])}",
            FileMessageType.Data => $" {Printable(payload.ToArray())}",
            _ => string.Empty,
        };
        return [$"files {type}{detail} ({length - 1}-byte payload{whole})"];
    }

    private static string FilePath(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2)
        {
            return string.Empty;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(payload);
        return length <= payload.Length - 2 ? $" \"{Encoding.UTF8.GetString(payload.Slice(2, length))}\"" : string.Empty;
    }

    private static string HandshakeName(byte type) => type switch
    {
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        11 => "Certificate",
        13 => "CertificateRequest",
        15 => "CertificateVerify",
        20 => "Finished",
        24 => "KeyUpdate",
        _ => $"handshake type {type}",
    };

    private static string Printable(byte[] content)
    {
        var builder = new StringBuilder();
        foreach (var b in content.Take(Preview))
        {
            builder.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
        }

        return content.Length > Preview ? builder + "…" : builder.ToString();
    }

    private static string Shorten(string value, int max) => value.Length <= max ? value : value[..max] + "…";
}
