using System.CommandLine;

namespace SafeWire.Cli.Commands.Capture;

internal static class CaptureCommandDefinition
{
    public static readonly Argument<FileInfo> CaptureFile = new("CAPTURE") { Description = "A capture of SafeWire traffic (pcapng or pcap, e.g. from Wireshark, dumpcap or tcpdump)" };

    public static readonly Option<FileInfo> KeyLog = new("--keylog")
    {
        Description = "The key log written by `safewire trace --keylog FILE` (NSS key log format)",
        Required = true,
    };

    public static readonly Option<FileInfo?> Output = new("--output", "-o")
    {
        Description = "Where to write the decrypted capture for Wireshark (default: CAPTURE-decrypted.pcapng next to CAPTURE)",
    };

    public static Command Create()
    {
        var decrypt = new Command("decrypt", "Open the SafeWire records of a capture with a key log: print the conversation record by record and write a capture of the decrypted messages")
        {
            CaptureFile,
            KeyLog,
            Output,
        };
        decrypt.SetAction(CaptureDecryptCommand.Run);
        return new Command("capture", "Work with captures of SafeWire traffic (Wireshark: tools/wireshark/safewire.lua)") { decrypt };
    }
}
