using SafeWire.Cli.Commands;
using SafeWire.Cli.Commands.Capture;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Capture;

/// <summary>
/// <c>capture decrypt</c> reads files from anywhere: damaged captures (bytes changed, cut short) end in a one-line
/// error or a partial reading, never in an unhandled exception. Runs the command's whole path in process (read,
/// TCP reassembly, session decoding with the key log, printing, writing the decrypted capture) on deterministic
/// damage of an example capture.
/// </summary>
public sealed class DamagedCaptureTests
{
    internal static readonly string Examples = Path.Combine(FindRoot(), "docs", "examples", "wireshark");

    [Theory]
    [InlineData("chat-cbc-hmac")]
    [InlineData("files-aes-gcm")]
    public void DamagedCapturesFailCleanlyOrReadPartly(string example)
    {
        var original = File.ReadAllBytes(Path.Combine(Examples, example + ".pcapng"));
        using var keyLog = KeyLog.Read(Path.Combine(Examples, example + ".keys"));
        using var temp = new TempDirectory();
        var random = new Random(15);
        int clean = 0;
        int refused = 0;
        for (int i = 0; i < 400; i++)
        {
            var damaged = (byte[])original.Clone();
            string what;
            if (i % 3 == 0)
            {
                int length = random.Next(damaged.Length);
                damaged = damaged[..length];
                what = $"cut to {length} bytes";
            }
            else
            {
                int changes = 1 + random.Next(8);
                for (int c = 0; c < changes; c++)
                {
                    // Half of the changes hit 32-bit fields (lengths, sequence numbers, time stamps) with extremes.
                    int at = random.Next(damaged.Length - 4);
                    if (random.Next(2) == 0)
                    {
                        damaged[at] = (byte)random.Next(256);
                    }
                    else
                    {
                        damaged.AsSpan(at, 4).Fill(random.Next(2) == 0 ? (byte)0xFF : (byte)0x00);
                    }
                }

                what = $"{changes} change(s), case {i}";
            }

            File.WriteAllBytes(temp["damaged.pcapng"], damaged);
            try
            {
                var packets = CaptureFile.Read(temp["damaged.pcapng"]);
                var sessions = SessionDecoder.Decode(TcpStreams.Reassemble(packets), keyLog);
                using var text = new StringWriter();
                foreach (var record in sessions.SelectMany(s => s.Records))
                {
                    CaptureDecryptCommand.Print(text, 1, record);
                }

                DecryptedCaptureWriter.Write(temp["out.pcapng"], [.. sessions.SelectMany(s => s.Records).OrderBy(r => r.Frame)]);
                clean++;
            }
            catch (CliException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                Assert.StartsWith(temp["damaged.pcapng"], e.Message, StringComparison.Ordinal);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{example}, {what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }

        Assert.True(clean > 0 && refused > 0, $"{clean} read, {refused} refused: the damage should produce both");
        Assert.Equal(["damaged.pcapng", "out.pcapng"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private static string FindRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SafeWire.slnx")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException("The repository root (SafeWire.slnx) is not above the test assembly.");
    }
}
