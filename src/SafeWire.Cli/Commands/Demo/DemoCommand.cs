using System.CommandLine;
using System.Net;
using System.Text;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Chat.Server;
using SafeWire.Cli.Commands.Chat;
using SafeWire.Cli.Commands.Serve;
using SafeWire.Identity;
using SafeWire.Transport;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Demo;

/// <summary>
/// <c>safewire demo</c>: everything on 127.0.0.1 in one process, in a fresh home (a temporary directory, or
/// <c>HOME/demo</c> when --home is given): a CA, a server and three client certificates, an allow-list with two of
/// them, then the steps of a chat session printed as they happen, and a summary. Exit 0 when every step held.
/// </summary>
internal static class DemoCommand
{
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(20);

    public static Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
        RunAsync(parse.GetValue(CommonOptions.Home), parse.GetValue(DemoCommandDefinition.Keep), parse.GetValue(DemoCommandDefinition.Port), new ChatOutput(), hooks: null, cancellationToken);

    /// <summary>The demo itself; <paramref name="hooks"/> lets tests step into it (the CLI passes none).</summary>
    internal static async Task<int> RunAsync(DirectoryInfo? explicitHome, bool keep, int port, ChatOutput output, DemoHooks? hooks, CancellationToken cancellationToken)
    {
        var root = explicitHome is not null
            ? Directory.CreateDirectory(Path.Combine(explicitHome.FullName, "demo")).FullName
            : Directory.CreateTempSubdirectory("safewire-demo-").FullName;
        keep |= explicitHome is not null;
        var demo = new DemoRun(output, new SafeWireHome(root), port, hooks ?? new DemoHooks());
        try
        {
            return await demo.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (keep)
            {
                output.Line($"demo files kept in {root}");
            }
            else
            {
                TryDelete(root);
            }
        }
    }

    private static void TryDelete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private sealed class DemoRun(ChatOutput output, SafeWireHome home, int port, DemoHooks hooks)
    {
        private readonly List<(string Step, bool Held, string Detail)> _summary = [];
        private readonly List<byte[]> _serverFrames = [];
        private int _stepNumber;

        public async Task<int> RunAsync(CancellationToken ct)
        {
            Step("Identities: a private CA, a server certificate and three client certificates, in " + home.Root);
            using var serverCredential = home.LoadOrCreateServerCredential("demo-server", ["localhost"], [IPAddress.Loopback]);
            using var alice = home.LoadOrCreateClientCredential("alice");
            using var bob = home.LoadOrCreateClientCredential("bob");
            using var carol = home.LoadOrCreateClientCredential("carol");
            output.Line($"   server  {serverCredential.Fingerprint}");
            output.Line($"   alice   {alice.Fingerprint}");
            output.Line($"   bob     {bob.Fingerprint}");
            output.Line($"   carol   {carol.Fingerprint}");

            Step("Allow-list: alice and bob are on it, carol is not");
            var allowList = new AllowList([new AllowListEntry(alice.Fingerprint, "alice"), new AllowListEntry(bob.Fingerprint, "bob")]);
            allowList.Save(home.AllowListPath);
            output.Line($"   {home.AllowListPath}");

            Step($"Server: 127.0.0.1, {(port == 0 ? "a free port" : $"port {port}")}, allow-list admission, at most 10 clients");
            await using var server = new ChatServer(new ChatServerOptions
            {
                Address = IPAddress.Loopback,
                Port = port,
                MaxClients = 10,
                ServerName = "demo-server",
                Authenticator = new SecureStreamAuthenticator(
                    new SecureServerOptions { ServerCredential = serverCredential, ClientVerifier = new AllowListVerifier(home.AllowListPath), RequireClientCredential = true },
                    client: null),
                DrainTimeout = TimeSpan.FromSeconds(3),
                BeforeJoin = hooks.BeforeServerJoin,
                FrameObserver = (_, frame) =>
                {
                    lock (_serverFrames)
                    {
                        _serverFrames.Add(frame.ToArray());
                    }
                },
            });
            var joined = new Signal();
            server.EventRaised += e =>
            {
                if (e is ClientJoined)
                {
                    joined.Add();
                }

                if (ChatOutput.Describe(e) is { } line)
                {
                    output.Line("   server | " + line);
                }
            };
            try
            {
                server.Start();
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new CliException($"the demo cannot listen on 127.0.0.1:{port}: {e.Message}; pick another --port or leave it out");
            }

            var caVerifier = home.CreateCaVerifier();
            ChatClientOptions Options(string name, LocalCredential credential) => new()
            {
                Name = name,
                Authenticator = new SecureStreamAuthenticator(null, new SecureClientOptions { ServerVerifier = caVerifier, ClientCredential = credential }),
                DirectAuthenticator = member => SecureStreamAuthenticator.ForDirect(credential, caVerifier, member.Name),
                ConnectTimeout = s_step,
            };

            Step("alice and bob connect (each checks the server's certificate against the CA; the server checks them against the allow-list)");
            await using var aliceClient = await ChatClient.ConnectAsync("127.0.0.1", server.Port, Options("alice", alice), ct).ConfigureAwait(false);
            var aliceView = Watch(aliceClient, "alice");
            await using var bobClient = await ChatClient.ConnectAsync("127.0.0.1", server.Port, Options("bob", bob), ct).ConfigureAwait(false);
            var bobView = Watch(bobClient, "bob");
            output.Line($"   alice  | connected as #{aliceClient.ClientId}, server key {aliceClient.ServerIdentity?.Fingerprint}, suite {aliceClient.CipherSuite}");
            output.Line($"   bob    | connected as #{bobClient.ClientId}; here: {ChatOutput.Members(bobClient.Members)}");
            // The server announces a join after its welcome is sent: wait for both announcements, not for the list.
            hooks.WaitingForJoins?.Invoke();
            await joined.WaitForAsync(2, s_step, ct).ConfigureAwait(false);
            Record("two allowed clients connect", server.List().Count == 2, $"{server.List().Count} connected");

            Step("carol connects: her key is not on the allow-list");
            string refusal;
            try
            {
                await using var carolClient = await ChatClient.ConnectAsync("127.0.0.1", server.Port, Options("carol", carol), ct).ConfigureAwait(false);
                refusal = string.Empty;
            }
            catch (IOException e)
            {
                refusal = e.Message;
            }

            output.Line("   carol  | " + (refusal.Length > 0 ? "refused: " + refusal : "was let in (unexpected)"));
            Record("carol is refused", refusal.Length > 0, refusal.Length > 0 ? "not on the allow-list" : "she got in");

            Step("alice and bob chat; the server shows each message and acknowledges it");
            var ack1 = await aliceClient.SendAsync("hi bob, this goes through the server", ct).WaitAsync(s_step, ct).ConfigureAwait(false);
            output.Line($"   alice  | ack #{ack1.MessageId}: relayed to {ack1.DeliveredTo}");
            var ack2 = await bobClient.SendAsync("hi alice, the server can read this one", ct).WaitAsync(s_step, ct).ConfigureAwait(false);
            output.Line($"   bob    | ack #{ack2.MessageId}: relayed to {ack2.DeliveredTo}");
            await bobView.Changed.WaitUntilAsync(() => bobView.Received.Contains("hi bob, this goes through the server"), s_step, ct).ConfigureAwait(false);
            await aliceView.Changed.WaitUntilAsync(() => aliceView.Received.Contains("hi alice, the server can read this one"), s_step, ct).ConfigureAwait(false);
            Record("messages relayed and acknowledged", ack1.DeliveredTo == 1 && ack2.DeliveredTo == 1, "2 messages, 2 acks");

            Step("alice sends bob a direct message: a second SafeWire handshake, alice <-> bob, inside the relayed channel");
            const string secret = "the key is under the mat";
            var verified = await aliceClient.SendDirectAsync("bob", secret, ct).WaitAsync(s_step, ct).ConfigureAwait(false);
            await bobView.Changed.WaitUntilAsync(() => bobView.Direct.Contains(secret), s_step, ct).ConfigureAwait(false);
            output.Line($"   alice  | delivered end-to-end; bob proved key {verified?.Fingerprint}");
            var stats = server.Stats();
            bool serverSawPlaintext;
            lock (_serverFrames)
            {
                var needle = Encoding.UTF8.GetBytes(secret);
                serverSawPlaintext = _serverFrames.Any(f => f.AsSpan().IndexOf(needle) >= 0);
            }

            output.Line($"   server | relayed {stats.DirectBytesRelayed:N0} opaque bytes; plaintext in any frame it decrypted: {(serverSawPlaintext ? "YES" : "no")}");
            Record("direct message end-to-end", bobView.Direct.Contains(secret) && !serverSawPlaintext && verified?.Fingerprint == bob.Fingerprint, "server saw only ciphertext");

            Step("admin: list, then kick bob");
            output.Write(AdminConsole.ListTable(server.List()));
            server.Kick(bobClient.ClientId, "demo: showing how a kick looks");
            var bobExit = await bobView.Run.WaitAsync(s_step, ct).ConfigureAwait(false);
            output.Line($"   bob    | {bobExit.Message}");
            Record("bob is kicked and told why", bobExit.Reason == ClientExitReason.Kicked && bobExit.Message.Contains("demo: showing", StringComparison.Ordinal), bobExit.Message);

            Step("admin: stop. The server tells alice, lets her drain, and closes");
            await server.StopAsync("demo finished", ct).WaitAsync(s_step, ct).ConfigureAwait(false);
            var aliceExit = await aliceView.Run.WaitAsync(s_step, ct).ConfigureAwait(false);
            output.Line($"   alice  | {aliceExit.Message}");
            Record("clean stop", aliceExit.Reason == ClientExitReason.ServerStopped && server.Completion.IsCompleted, aliceExit.Message);

            return Summary();
        }

        private int Summary()
        {
            output.Line(string.Empty);
            var table = new Table().Border(TableBorder.Simple).AddColumns("step", "held", "detail");
            foreach (var (step, held, detail) in _summary)
            {
                table.AddRow(Markup.Escape(step), held ? "yes" : "NO", Markup.Escape(detail.Length <= 36 ? detail : detail[..35] + "…"));
            }

            output.Write(table);
            var failed = _summary.Count(s => !s.Held);
            output.Line(failed == 0 ? "demo complete: every step held" : $"demo FAILED: {failed} step(s) did not hold");
            return failed == 0 ? 0 : 1;
        }

        private void Step(string text) => output.Line($"{Environment.NewLine}== {++_stepNumber}. {text}");

        private void Record(string step, bool held, string detail) => _summary.Add((step, held, detail));

        private ClientView Watch(ChatClient client, string name)
        {
            var view = new ClientView(client.RunAsync());
            client.MessageReceived += m =>
            {
                if (m is SafeWire.Chat.Wire.RelayedMessage relayed)
                {
                    view.Received.Add(relayed.Text);
                    view.Changed.Add();
                }

                if (ChatOutput.Describe(m) is { } line)
                {
                    output.Line($"   {name,-6} | {line}");
                }
            };
            client.DirectMessageReceived += d =>
            {
                view.Direct.Add(d.Text);
                view.Changed.Add();
                output.Line($"   {name,-6} | (direct, end-to-end from {d.From.Name}, key {d.Verified?.Fingerprint}) {d.Text}");
            };
            client.DirectFailed += m => output.Line($"   {name,-6} | ! {m}");
            return view;
        }

    }

    private sealed class ClientView(Task<ClientExit> run)
    {
        public Task<ClientExit> Run { get; } = run;

        public System.Collections.Concurrent.ConcurrentBag<string> Received { get; } = [];

        public System.Collections.Concurrent.ConcurrentBag<string> Direct { get; } = [];

        public Signal Changed { get; } = new();
    }

    /// <summary>Counts events; a waiter wakes on each one (no polling, no sleeps), up to a time limit.</summary>
    private sealed class Signal
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        /// <summary>Call after the state a waiter checks has changed.</summary>
        public void Add()
        {
            Interlocked.Increment(ref _count);
            Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public Task WaitForAsync(int count, TimeSpan limit, CancellationToken ct) => WaitUntilAsync(() => Volatile.Read(ref _count) >= count, limit, ct);

        /// <summary>Returns when <paramref name="condition"/> holds (checked after each event) or after <paramref name="limit"/>; the caller then records what it sees.</summary>
        public async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(limit);
            try
            {
                while (true)
                {
                    var next = Volatile.Read(ref _next); // read before checking, so an event in between still wakes us
                    if (condition())
                    {
                        return;
                    }

                    await next.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The step did not happen in time: the summary shows it as not held.
            }
        }
    }
}
