using System.CommandLine;
using System.Globalization;
using System.Net;
using SafeWire.Identity;
using SafeWire.KeyDistribution;
using SafeWire.KeyDistribution.Peer;
using SafeWire.KeyDistribution.Wire;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Peer;

/// <summary>
/// <c>safewire peer</c>: the key manager's client. Interactive (the original design's flow: send / wait / conn / end) or
/// scripted (<c>peer wait</c>, <c>peer send</c>). Every link to the key manager is a SafeWire channel with this
/// peer's certificate from the home CA.
/// </summary>
internal static class PeerCommand
{
    private const int MaxPromptRetries = 5;

    public static async Task<int> InteractiveAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var console = CliConsole.Console;
        var listen = ListenSettingsFrom(parse);
        await using var session = await PeerSession.OpenAsync(parse, console, cancellationToken);
        var km = session.Client;
        console.WriteLine(km.Welcome!.Text);
        console.WriteLine($"You are {km.Welcome.Name} ({km.Welcome.Fingerprint}).");
        var ui = new ConsolePeerUi(console, (offer, ct) => AskToSaveAsync(console, offer, Directory.GetCurrentDirectory(), askForName: true, ct));
        var runner = session.Runner(ui);
        while (true)
        {
            var line = await LineInput.PromptAsync(console, "> ", cancellationToken);
            if (line is null)
            {
                await km.EndAsync(cancellationToken);
                return 0;
            }

            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (words.Length == 0)
            {
                continue;
            }

            try
            {
                switch (words[0].ToLowerInvariant())
                {
                    case "send":
                        PrintPeers(console, await km.ListWaitingAsync(cancellationToken), interactive: true);
                        break;

                    case "conn" when words.Length is 2 or 3:
                        var mode = TransferMode.E2e;
                        if (words.Length == 3 && !TransferModeNames.TryParse(words[2], out mode))
                        {
                            console.WriteLine($"Unknown mode {words[2]}: use cbc, cfb or e2e.");
                            break;
                        }

                        var paired = await km.ConnectAsync(words[1], mode, cancellationToken);
                        PrintPairing(console, paired);
                        var (sent, _) = await runner.RunSenderAsync(paired, ct => AskForFilesAsync(console, ct), cancellationToken);
                        PrintVerdict(console, sent);
                        break;

                    case "wait":
                        await km.WaitAsync(cancellationToken);
                        console.WriteLine("Waiting for a sender...");
                        var offered = await km.AwaitPairingAsync(cancellationToken);
                        PrintPairing(console, offered);
                        var (received, _) = await runner.RunReceiverAsync(offered, listen, cancellationToken);
                        PrintVerdict(console, received);
                        break;

                    case "end":
                        await km.EndAsync(cancellationToken);
                        console.WriteLine("Bye.");
                        return 0;

                    default:
                        console.WriteLine("Commands: send (list waiting peers), conn <id or name> [cbc|cfb|e2e] (send to one), wait (receive), end.");
                        break;
                }
            }
            catch (KdException e) when (e.Error == KdError.Refused)
            {
                // A refusal (no such peer, command out of order) leaves the session usable.
                console.WriteLine(e.Message);
            }
        }
    }

    public static async Task<int> WaitAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var console = CliConsole.Console;
        var outDirectory = parse.GetValue(PeerCommandDefinition.Out)!;
        Directory.CreateDirectory(outDirectory.FullName);
        var listen = ListenSettingsFrom(parse);
        var acceptAll = parse.GetValue(PeerCommandDefinition.AcceptAll);
        await using var session = await PeerSession.OpenAsync(parse, console, cancellationToken);
        var km = session.Client;
        await km.WaitAsync(cancellationToken);
        console.WriteLine($"Waiting as peer {km.Welcome!.PeerId} ({km.Welcome.Name}, {km.Welcome.Fingerprint}) at {session.KeyManager}.");
        var paired = await km.AwaitPairingAsync(cancellationToken);
        PrintPairing(console, paired);
        var ui = new ConsolePeerUi(console, (offer, ct) => acceptAll
            ? ValueTask.FromResult<string?>(UniquePath(outDirectory.FullName, offer.FileName))
            : AskToSaveAsync(console, offer, outDirectory.FullName, askForName: false, ct));
        var (verdict, outcome) = await session.Runner(ui).RunReceiverAsync(paired, listen, cancellationToken);
        PrintVerdict(console, verdict);
        foreach (var path in outcome?.Saved ?? [])
        {
            console.WriteLine("saved " + path);
        }

        await km.EndAsync(cancellationToken);
        return verdict.Kind == VerdictKind.Match ? 0 : throw new CliException(verdict.Text);
    }

    public static async Task<int> SendAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var console = CliConsole.Console;
        var files = parse.GetValue(PeerCommandDefinition.Files)!;
        foreach (var file in files)
        {
            if (!file.Exists)
            {
                throw new CliException($"{file.FullName}: no such file");
            }
        }

        var modeText = parse.GetValue(PeerCommandDefinition.Mode)!;
        if (!TransferModeNames.TryParse(modeText, out var mode))
        {
            throw new CliException($"--mode {modeText}: use cbc, cfb or e2e");
        }

        var to = parse.GetValue(PeerCommandDefinition.To)!;
        await using var session = await PeerSession.OpenAsync(parse, console, cancellationToken);
        var km = session.Client;
        var waiting = await km.ListWaitingAsync(cancellationToken);
        if (waiting.Count == 0)
        {
            throw new CliException($"no peer is waiting at {session.KeyManager}; start `safewire peer wait` there first");
        }

        PrintPeers(console, waiting, interactive: false);
        var paired = await km.ConnectAsync(to, mode, cancellationToken);
        PrintPairing(console, paired);
        var ui = new ConsolePeerUi(console, (_, _) => ValueTask.FromResult<string?>(null));
        var (verdict, outcome) = await session.Runner(ui).RunSenderAsync(paired, _ => ValueTask.FromResult<IReadOnlyList<string>>(files.Select(f => f.FullName).ToList()), cancellationToken);
        PrintVerdict(console, verdict);
        await km.EndAsync(cancellationToken);
        if (verdict.Kind != VerdictKind.Match)
        {
            throw new CliException(verdict.Text);
        }

        return outcome is { Declined.Count: > 0 } ? throw new CliException($"{paired.PeerName} declined {string.Join(", ", outcome.Declined)}") : 0;
    }

    private static ListenSettings ListenSettingsFrom(ParseResult parse)
    {
        var port = parse.GetValue(PeerCommandDefinition.ListenPort);
        if (port is < 0 or > 65535)
        {
            throw new CliException("--listen-port must be 0-65535");
        }

        var advertise = parse.GetValue(PeerCommandDefinition.Advertise);
        if (advertise is null)
        {
            return new ListenSettings(Port: port);
        }

        var target = HostPort.Parse(advertise, "--advertise");
        return new ListenSettings(Port: port, AdvertisedHost: target.Host, AdvertisedPort: target.Port);
    }

    private static void PrintPeers(IAnsiConsole console, IReadOnlyList<PeerEntry> peers, bool interactive)
    {
        if (peers.Count == 0 && interactive)
        {
            console.WriteLine("No peer is waiting. Someone must type wait first; then send again.");
            return;
        }

        var table = new Table().AddColumns("id", "name", "fingerprint");
        foreach (var peer in peers)
        {
            table.AddRow(peer.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(peer.Name), Markup.Escape(peer.Fingerprint));
        }

        console.Write(table);
        if (interactive)
        {
            console.WriteLine("Pick one with: conn <id or name> [cbc|cfb|e2e]");
        }
    }

    private static void PrintPairing(IAnsiConsole console, PairedMessage paired)
    {
        var what = paired.Role == TransferRole.Sender ? "Sending to" : "Receiving from";
        var how = paired.Mode == TransferMode.E2e
            ? "end-to-end: your own SafeWire session with the peer, the key manager holds no key"
            : $"{paired.Mode.Name()}: AES-256 + HMAC-SHA256 keys from the key manager";
        console.WriteLine($"{what} {paired.PeerName} ({paired.PeerFingerprint}), transfer {paired.TransferId.Abbreviated}, {how}.");
    }

    private static void PrintVerdict(IAnsiConsole console, VerdictMessage verdict) =>
        console.WriteLine($"Key manager: {verdict.Text}");

    private static async ValueTask<IReadOnlyList<string>> AskForFilesAsync(IAnsiConsole console, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        for (var tries = 0; tries < MaxPromptRetries * 20; tries++)
        {
            var line = await LineInput.PromptAsync(console, files.Count == 0 ? "File to send: " : "Another file (empty line to start): ", cancellationToken);
            if (string.IsNullOrWhiteSpace(line))
            {
                if (files.Count > 0 || line is null)
                {
                    break;
                }

                continue;
            }

            var path = Path.GetFullPath(line.Trim());
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                console.WriteLine($"{path}: no such file.");
            }
        }

        return files.Count > 0 ? files : throw new KdException(KdError.FileError, "No file was chosen.");
    }

    /// <summary>The waiter's decision: y/n, then (interactive) where to save; null declines.</summary>
    private static async ValueTask<string?> AskToSaveAsync(IAnsiConsole console, FileOffer offer, string directory, bool askForName, CancellationToken cancellationToken)
    {
        console.WriteLine($"{offer.SenderName} ({offer.SenderFingerprint}) offers {offer.FileName}: {ConsolePeerUi.Bytes(offer.EncryptedLength)} encrypted ({ConsolePeerUi.Bytes(offer.PlainLength)}).");
        for (var tries = 0; tries < MaxPromptRetries; tries++)
        {
            var answer = (await LineInput.PromptAsync(console, "Accept? [y/n] ", cancellationToken))?.Trim().ToLowerInvariant();
            if (answer is null or "n" or "no")
            {
                console.WriteLine($"Declined {offer.FileName}.");
                return null;
            }

            if (answer is "y" or "yes")
            {
                break;
            }
        }

        if (!askForName)
        {
            return UniquePath(directory, offer.FileName);
        }

        for (var tries = 0; tries < MaxPromptRetries; tries++)
        {
            var name = await LineInput.PromptAsync(console, $"Save as [{offer.FileName}]: ", cancellationToken);
            var path = Path.GetFullPath(Path.Combine(directory, string.IsNullOrWhiteSpace(name) ? offer.FileName : name.Trim()));
            if (!File.Exists(path) && Directory.Exists(Path.GetDirectoryName(path)))
            {
                return path;
            }

            console.WriteLine($"{path} exists or its directory does not; choose another name.");
        }

        console.WriteLine($"Declined {offer.FileName}.");
        return null;
    }

    /// <summary>DIR/NAME, or NAME (1), NAME (2)... when taken: a received file never overwrites one.</summary>
    private static string UniquePath(string directory, string fileName)
    {
        var path = Path.Combine(directory, fileName);
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var extension = Path.GetExtension(fileName);
        for (var i = 1; File.Exists(path) && i < 1000; i++)
        {
            path = Path.Combine(directory, $"{stem} ({i}){extension}");
        }

        return path;
    }

    /// <summary>Standard input, one line at a time; prompts end the line when output is redirected (scripts, tests).</summary>
    private static class LineInput
    {
        public static async Task<string?> PromptAsync(IAnsiConsole console, string prompt, CancellationToken cancellationToken)
        {
            if (CliConsole.OutputRedirected)
            {
                console.WriteLine(prompt.TrimEnd());
            }
            else
            {
                console.Write(prompt);
            }

            return await CliConsole.In.ReadLineAsync(cancellationToken);
        }
    }
}

/// <summary>An open, authenticated session with the key manager and what the peer needs to run transfers.</summary>
internal sealed class PeerSession : IAsyncDisposable
{
    private readonly LocalCredential _credential;
    private readonly SecureKdChannels _channels;

    private PeerSession(HostPort keyManager, LocalCredential credential, SecureKdChannels channels, KeyManagerClient client)
    {
        KeyManager = keyManager;
        _credential = credential;
        _channels = channels;
        Client = client;
    }

    public HostPort KeyManager { get; }

    public KeyManagerClient Client { get; }

    public static async Task<PeerSession> OpenAsync(ParseResult parse, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var keyManager = HostPort.Parse(parse.GetValue(PeerCommandDefinition.KeyManager)!, "the key manager");
        var home = HomeOption.Resolve(parse);
        var name = parse.GetValue(PeerCommandDefinition.Name) ?? DefaultName();
        var password = PeerCommandDefinition.CaPassword.Read(parse, confirm: false);
        LocalCredential credential;
        try
        {
            // The home's identity key (--as, else an older home's certs/NAME.key, else the default identity); at a key
            // manager this home joined, the certificate that CA issued, else one from the home CA named NAME.
            var asName = parse.GetValue(PeerCommandDefinition.As);
            var legacy = asName is null && File.Exists(home.CertificateKeyPath(name)) && !File.Exists(home.KeyPath(name));
            credential = HomeIdentity.Open(home, legacy ? name : asName).ClientCredential(keyManager.Host, name, password);
        }
        finally
        {
            password.AsSpan().Clear();
        }

        try
        {
            await Trust.CrlRefresh.RefreshIfStaleAsync(home, keyManager.Host, keyManager.Port, cancellationToken);
            var channels = new SecureKdChannels(credential, new TrustedServers(home).VerifierFor(keyManager.Host) ?? home.CreateCaVerifier())
            {
                CipherSuites = SuiteOption.Get(parse, SuiteOption.Client),
            };
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connect.CancelAfter(TimeSpan.FromSeconds(30));
            var channel = await channels.ConnectKeyManagerAsync(keyManager.Host, keyManager.Port, connect.Token);
            var client = new KeyManagerClient(channel);
            try
            {
                await client.HelloAsync(name, connect.Token);
            }
            catch
            {
                await client.DisposeAsync();
                throw;
            }

            console.WriteLine($"Connected to the key manager at {keyManager} ({channel.Remote.Fingerprint}) as {name}.");
            return new PeerSession(keyManager, credential, channels, client);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            credential.Dispose();
            throw new CliException($"cannot reach the key manager at {keyManager}: {e.Message}");
        }
        catch
        {
            credential.Dispose();
            throw;
        }
    }

    public PeerRunner Runner(IPeerUi ui) => new(Client, _channels, ui, TimeProvider.System);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _credential.Dispose();
    }

    /// <summary>The user name, reduced to what a certificate file name allows.</summary>
    private static string DefaultName()
    {
        var name = new string(Environment.UserName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-').ToArray());
        return name.Length is > 0 and <= 64 ? name : "peer";
    }
}
