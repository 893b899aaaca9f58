using System.CommandLine;
using System.Globalization;

namespace SafeWire.Cli.Commands.Capture;

/// <summary>
/// <c>safewire capture decrypt CAPTURE --keylog FILE</c>: finds the SafeWire sessions in a capture, opens their records
/// with the key log (the core's record protection and key schedule), prints them in order and writes a pcapng of the
/// opened records that the Wireshark dissector shows.
/// </summary>
internal static class CaptureDecryptCommand
{
    public static int Run(ParseResult parse)
    {
        var capture = parse.GetRequiredValue(CaptureCommandDefinition.CaptureFile);
        if (!capture.Exists)
        {
            throw new CliException($"{capture.FullName}: no such capture file");
        }

        var output = parse.GetValue(CaptureCommandDefinition.Output)?.FullName
            ?? Path.Combine(capture.DirectoryName ?? ".", Path.GetFileNameWithoutExtension(capture.Name) + "-decrypted.pcapng");
        using var keyLog = KeyLog.Read(parse.GetRequiredValue(CaptureCommandDefinition.KeyLog).FullName);
        var packets = CaptureFile.Read(capture.FullName);
        var sessions = SessionDecoder.Decode(TcpStreams.Reassemble(packets), keyLog);
        if (sessions.Count == 0)
        {
            throw new CliException($"{capture.Name}: no SafeWire session in the capture ({packets.Count} packets; a session must be captured from its ClientHello on)");
        }

        var writer = Console.Out;
        int opened = 0;
        int total = 0;
        foreach (var session in sessions)
        {
            var client = session.Client.From;
            var server = session.Client.To;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"session {session.Connection.Index}: client {client} -> server {server}, suite {session.Suite?.ToString() ?? "unknown"}, client random {Convert.ToHexStringLower(session.ClientRandom)}"));
            int number = 0;
            foreach (var record in session.Records)
            {
                total++;
                opened += record.Keys is RecordKeys.Handshake or RecordKeys.Application ? 1 : 0;
                Print(writer, ++number, record);
            }

            foreach (var problem in session.Problems)
            {
                writer.WriteLine("  note: " + problem);
            }

            writer.WriteLine();
        }

        DecryptedCaptureWriter.Write(output, [.. sessions.SelectMany(s => s.Records).OrderBy(r => r.Frame).ThenBy(r => r.FromClient ? 0 : 1)]);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{sessions.Count} session(s), {total} records, {opened} decrypted; wrote {output} (open it in Wireshark with tools/wireshark/safewire.lua)"));
        return 0;
    }

    internal static void Print(TextWriter writer, int number, SessionRecord record)
    {
        var direction = record.FromClient ? "client -> server" : "server -> client";
        var keys = record.Keys switch
        {
            RecordKeys.Plaintext => "in clear",
            RecordKeys.Handshake => string.Create(CultureInfo.InvariantCulture, $"handshake keys, seq {record.Sequence}"),
            RecordKeys.Application => string.Create(CultureInfo.InvariantCulture, $"application keys{(record.KeyGeneration > 0 ? $" (update {record.KeyGeneration})" : string.Empty)}, seq {record.Sequence}"),
            _ => "encrypted, not opened",
        };
        var type = record.Keys == RecordKeys.Unopened ? "application_data" : TypeName(record.ContentType);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  #{number,-3} frame {record.Frame,-5} {direction}  {type} ({keys}; {record.WireLength} bytes on the wire)"));
        IEnumerable<string> lines = record.Keys == RecordKeys.Unopened
            ? []
            : record.ContentType switch
            {
                22 => ContentDescriber.Handshake(record.Content),
                21 => [ContentDescriber.Alert(record.Content)],
                23 => ContentDescriber.Application(record.Content),
                _ => [],
            };
        foreach (var line in lines)
        {
            writer.WriteLine("        " + line);
        }
    }

    private static string TypeName(byte type) => type switch
    {
        21 => "alert",
        22 => "handshake",
        23 => "application_data",
        _ => $"type {type}",
    };
}
