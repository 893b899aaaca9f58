using System.CommandLine;
using System.Globalization;
using SafeWire.Files.Transfer;
using SafeWire.Cli.Commands.Trust;
using SafeWire.Identity;
using SafeWire.Transport;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Files;

/// <summary>The client verbs: ls, get, put, rm, mkdir. Progress bars on a terminal, one summary line per file otherwise.</summary>
internal static class FilesClientCommands
{
    public static async Task<int> ListAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        var path = parse.GetValue(FilesCommandDefinition.RemoteOptional) ?? "/";
        var entries = await client.ListAsync(path, cancellationToken).ConfigureAwait(false);
        if (entries.Count == 0)
        {
            CliConsole.Out.WriteLine($"{path}: empty directory");
        }

        foreach (var entry in entries)
        {
            CliConsole.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(entry.IsDirectory ? 'd' : '-')} {entry.Size,14} {entry.Modified.UtcDateTime:yyyy-MM-dd HH:mm} {entry.Name}"));
        }

        return 0;
    }

    public static async Task<int> GetAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var remote = parse.GetRequiredValue(FilesCommandDefinition.Remote);
        var name = RemoteName(remote);
        var local = parse.GetValue(FilesCommandDefinition.LocalOptional) ?? name;
        if (Directory.Exists(local) && !parse.GetValue(FilesCommandDefinition.Recursive))
        {
            local = Path.Combine(local, name);
        }

        await using var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        var results = await WithProgressAsync(progress => parse.GetValue(FilesCommandDefinition.Recursive)
            ? client.GetTreeAsync(remote, local, progress, cancellationToken)
            : Single(client.GetAsync(remote, local, progress, cancellationToken))).ConfigureAwait(false);
        Summarize("got", results, parse.GetValue(FilesCommandDefinition.Recursive));
        return 0;
    }

    public static async Task<int> PutAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var local = parse.GetRequiredValue(FilesCommandDefinition.Local);
        var recursive = parse.GetValue(FilesCommandDefinition.Recursive);
        if (recursive ? !Directory.Exists(local) : !File.Exists(local))
        {
            throw new CliException($"{local}: no such {(recursive ? "directory" : "file")}");
        }

        var localName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(local)));
        var remote = parse.GetValue(FilesCommandDefinition.RemoteTarget) ?? "/" + localName;
        await using var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        if (!recursive && (remote.EndsWith('/') || (await client.StatAsync(remote, cancellationToken).ConfigureAwait(false))?.IsDirectory == true))
        {
            remote = remote.TrimEnd('/') + "/" + localName; // like scp: a folder as the target receives the file under its own name
        }
        var results = await WithProgressAsync(progress => recursive
            ? client.PutTreeAsync(local, remote, progress, cancellationToken)
            : Single(client.PutAsync(local, remote, progress, cancellationToken))).ConfigureAwait(false);
        Summarize("put", results, recursive);
        return 0;
    }

    public static async Task<int> SimpleAsync(ParseResult parse, bool remove, CancellationToken cancellationToken)
    {
        var remote = parse.GetRequiredValue(FilesCommandDefinition.Remote);
        await using var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        if (remove)
        {
            await client.DeleteAsync(remote, cancellationToken).ConfigureAwait(false);
            CliConsole.Out.WriteLine($"removed {remote}");
        }
        else
        {
            await client.MakeDirectoryAsync(remote, cancellationToken).ConfigureAwait(false);
            CliConsole.Out.WriteLine($"created {remote}");
        }

        return 0;
    }

    /// <summary>
    /// Connects presenting this home's identity key; a server this home joined must have a certificate from the CA it
    /// joined, any other must have one from this home's CA, or be remembered in known_hosts (a changed key is refused);
    /// a server never seen is first contact (<see cref="FirstContact"/>: asked on a terminal, else the options decide).
    /// </summary>
    private static async Task<FileClient> ConnectAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (host, port) = HostPort.Parse(parse.GetRequiredValue(FilesCommandDefinition.Server), "the server", FilesCommandDefinition.DefaultPort);
        var home = HomeOption.Resolve(parse);
        var credential = HomeIdentity.Open(home, parse.GetValue(FilesCommandDefinition.As)).ClientCredential(host);
        CliErrors.Presenting(credential, $"{host}:{port}");
        await CrlRefresh.RefreshIfStaleAsync(home, host, port, cancellationToken).ConfigureAwait(false);
        var verifier = new TrustedServers(home).VerifierFor(host) ?? FirstContact.Verifier(parse, home, port);
        var options = new SecureClientOptions
        {
            ServerVerifier = verifier,
            ServerName = host,
            ClientCredential = credential,
            CipherSuites = SuiteOption.Get(parse, SuiteOption.Client),
        };
        try
        {
            return await FirstContact.ConnectAsync(verifier, () => FileServerHost.ConnectAsync(host, port, options, cancellationToken), message => new CliException(message)).ConfigureAwait(false);
        }
        catch (SecureChannelException e) when (CliErrors.ServerRefusal(e, credential, $"{host}:{port}") is { } refusal)
        {
            throw new CliException(refusal);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new CliException($"cannot connect to {host}:{port}: {e.Message}");
        }
    }

    private static string RemoteName(string remote)
    {
        var trimmed = remote.TrimEnd('/');
        var name = trimmed[(trimmed.LastIndexOf('/') + 1)..];
        return name.Length == 0 ? throw new CliException($"{remote}: name a file or directory") : name;
    }

    private static async Task<IReadOnlyList<TransferResult>> Single(Task<TransferResult> transfer) => [await transfer.ConfigureAwait(false)];

    /// <summary>Spectre progress bars (rate, ETA) on a terminal; nothing while running when output is redirected.</summary>
    private static async Task<IReadOnlyList<TransferResult>> WithProgressAsync(Func<IProgress<TransferProgress>?, Task<IReadOnlyList<TransferResult>>> work)
    {
        if (CliConsole.OutputRedirected || !CliConsole.Console.Profile.Capabilities.Interactive)
        {
            return await work(null).ConfigureAwait(false);
        }

        IReadOnlyList<TransferResult> results = [];
        await CliConsole.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var progress = new InlineProgress(p =>
                {
                    if (!tasks.TryGetValue(p.Path, out var task))
                    {
                        task = context.AddTask(Markup.Escape(p.Path), maxValue: Math.Max(1, p.Total));
                        tasks[p.Path] = task;
                    }

                    task.Value = p.Done;
                });
                results = await work(progress).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return results;
    }

    private static void Summarize(string verb, IReadOnlyList<TransferResult> results, bool recursive)
    {
        foreach (var result in results)
        {
            if (result.AlreadyComplete)
            {
                CliConsole.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"skipped {result.Path} (already complete, sha256 {result.Sha256})"));
                continue;
            }

            var resumed = result.ResumedFrom > 0 ? string.Create(CultureInfo.InvariantCulture, $", resumed at {result.ResumedFrom}") : "";
            CliConsole.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {result.Path} ({result.Size} bytes{resumed}) sha256 {result.Sha256}"));
        }

        if (recursive)
        {
            var skipped = results.Count(r => r.AlreadyComplete);
            CliConsole.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{results.Count} {(results.Count == 1 ? "file" : "files")}: {results.Count - skipped} {(verb == "got" ? "received" : "sent")}, {skipped} skipped (already complete)"));
        }
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post every chunk to the thread pool).</summary>
    private sealed class InlineProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
