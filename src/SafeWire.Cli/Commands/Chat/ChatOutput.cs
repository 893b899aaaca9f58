using System.Globalization;
using SafeWire.Chat.Server;
using SafeWire.Chat.Wire;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Chat;

/// <summary>
/// Line output shared by serve, chat, send and demo: one lock, so lines from network events and from the
/// console never interleave; plain lines go straight to stdout (no wrapping, greppable), tables through Spectre.
/// </summary>
internal sealed class ChatOutput
{
    private readonly object _gate = new();
    private readonly TextWriter _out;
    private readonly IAnsiConsole _console;

    public ChatOutput(TextWriter? output = null)
    {
        if (output is null)
        {
            _out = CliConsole.Out;
            _console = CliConsole.Console;
            return;
        }

        _out = output;
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_out),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        _console.Profile.Width = 240; // a writer has no width; do not cut fingerprints
    }

    public static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    public void Line(string text)
    {
        lock (_gate)
        {
            _out.WriteLine(text);
            _out.Flush();
        }
    }

    public void Write(Spectre.Console.Rendering.IRenderable renderable)
    {
        lock (_gate)
        {
            _console.Write(renderable);
            _out.Flush();
        }
    }

    /// <summary>How the server shows what happens.</summary>
    public static string? Describe(ChatServerEvent e) => e switch
    {
        ServerListening l => $"[{Time(l.Time)}] listening on {l.EndPoint}",
        ClientJoined j => $"[{Time(j.Time)}] #{j.Client.Id} {j.Client.Name} joined from {j.Client.RemoteEndPoint} on port {j.Client.LocalPort} ({Key(j.Client.Fingerprint)}, {j.Client.CipherSuite})",
        ClientLeft l => $"[{Time(l.Time)}] #{l.Client.Id} {l.Client.Name} left: {l.Reason}",
        MessageReceived m => $"[{Time(m.Time)}] #{m.ClientId} {m.Name}: {m.Text}",
        ClientRefused r => $"[{Time(r.Time)}] refused {r.Name ?? "a client"} from {r.RemoteEndPoint}: {r.Reason}",
        AdmissionSummary a => $"[{Time(a.Time)}] connections: {a.Text}", // failures, refusals and drops, at most one line per interval
        HopPortOffered h => $"[{Time(h.Time)}] {h.Name}: handshake done on port {h.ControlPort}; conversation moves to port {h.HopPort}",
        HopCompleted h => $"[{Time(h.Time)}] #{h.ClientId} {h.Name} proved its session on port {h.HopPort} and continues there",
        _ => null, // DirectRelayed: counted in stats, not printed per frame; ConnectionFailed: in the admission summary
    };

    /// <summary>How a client shows a frame from the server.</summary>
    public static string? Describe(ChatMessage message) => message switch
    {
        RelayedMessage r => $"[{Time(r.SentAt)}] {r.FromName}: {r.Text}",
        BroadcastMessage b => $"[{Time(b.SentAt)}] * server admin: {b.Text}",
        MemberJoinedMessage j => $"* {j.Member.Name} joined ({Key(j.Member.Fingerprint)})",
        MemberLeftMessage l => $"* {l.Member.Name} left ({l.Reason})",
        NoticeMessage n => $"* server: {n.Text}",
        _ => null,
    };

    public static string Key(string fingerprint) => fingerprint.Length == 0 ? "no key" : fingerprint;

    /// <summary>The first 8 characters of a fingerprint's base64, for tables ("SHA256:" said in the header).</summary>
    public static string ShortKey(string fingerprint)
    {
        if (fingerprint.Length == 0)
        {
            return "no key";
        }

        var body = fingerprint.StartsWith("SHA256:", StringComparison.Ordinal) ? fingerprint["SHA256:".Length..] : fingerprint;
        return body.Length <= 9 ? body : body[..8] + "…";
    }

    /// <summary>A suite as --suite names it (aes-gcm, chacha20, cbc-hmac).</summary>
    public static string ShortSuite(string suite) => Enum.TryParse<SafeWire.Protocol.CipherSuite>(suite, out var parsed) ? SuiteOption.NameOf(parsed) : suite;

    public static string Members(IEnumerable<ChatMember> members)
    {
        var list = members.Select(m => $"{m.Name} (#{m.Id})").ToList();
        return list.Count == 0 ? "nobody else yet" : string.Join(", ", list);
    }
}
