using System.Globalization;
using SafeWire.Chat.Server;
using SafeWire.Cli.Commands.Chat;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Serve;

/// <summary>
/// The server's admin console: one command per line from standard input (a terminal or a pipe). End of input
/// does not stop the server (a detached server keeps running until <c>stop</c> or Ctrl+C).
/// </summary>
internal sealed class AdminConsole(ChatServer server, ChatOutput output)
{
    public async Task RunAsync(TextReader input, CancellationToken cancellationToken)
    {
        var interrupted = Task.Delay(Timeout.Infinite, cancellationToken);
        Task<string?>? pending = null;
        while (!server.Completion.IsCompleted)
        {
            pending ??= Task.Run(input.ReadLine, CancellationToken.None); // CliConsole.In blocks even in ReadLineAsync
            var finished = await Task.WhenAny(pending, server.Completion, interrupted).ConfigureAwait(false);
            if (finished == interrupted)
            {
                output.Line("interrupted: stopping");
                await server.StopAsync("the server is shutting down (interrupted)", CancellationToken.None).ConfigureAwait(false);
                return;
            }

            if (finished != pending)
            {
                return;
            }

            var line = await pending.ConfigureAwait(false);
            pending = null;
            if (line is null)
            {
                // End of input: keep serving until stopped.
                await Task.WhenAny(server.Completion, interrupted).ConfigureAwait(false);
                if (interrupted.IsCompleted)
                {
                    output.Line("interrupted: stopping");
                    await server.StopAsync("the server is shutting down (interrupted)", CancellationToken.None).ConfigureAwait(false);
                }

                return;
            }

            if (await ExecuteAsync(AdminCommand.Parse(line)).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Runs one command; true when the server was stopped.</summary>
    public async Task<bool> ExecuteAsync(AdminCommand command)
    {
        switch (command)
        {
            case AdminEmpty:
                break;
            case AdminHelp:
                output.Line(AdminCommand.Help);
                break;
            case AdminInvalid invalid:
                output.Line(invalid.Hint);
                break;
            case AdminList list:
                output.Write(ListTable(server.List(), list.Full));
                break;
            case AdminStats:
                output.Write(StatsTable(server.Stats()));
                break;
            case AdminBroadcast broadcast:
                output.Line($"broadcast sent to {server.Broadcast(broadcast.Text)} clients");
                break;
            case AdminKick kick:
                output.Line(server.Kick(kick.Id, kick.Reason)
                    ? $"kicking #{kick.Id}: {kick.Reason}"
                    : $"no client #{kick.Id}; list shows the ids");
                break;
            case AdminStop:
                output.Line("stopping: telling the clients and letting them drain");
                await server.StopAsync().ConfigureAwait(false);
                return true;
        }

        return false;
    }

    /// <summary>
    /// The admin <c>list</c>: fits 80 columns (short key fingerprints, time of day, short suite names, light borders);
    /// <paramref name="full"/> adds whole fingerprints and dates (wider).
    /// </summary>
    public static Table ListTable(IReadOnlyList<ConnectionInfo> clients, bool full = false)
    {
        // The server's port (it differs after a port hop) only in the full list: an address like
        // 192.168.100.200:51318 must stay on one line at 80 columns.
        string[] headers = full
            ? ["id", "name", "key", "address", "port", "since", "suite", "in", "out"]
            : ["id", "name", "key (SHA256)", "address", "since", "suite", "in", "out"];
        var table = new Table().Border(TableBorder.Simple).AddColumns(headers);
        foreach (var column in table.Columns)
        {
            column.Padding(0, 0, column == table.Columns[^1] ? 0 : 1, 0);
        }

        table.Columns[3].NoWrap();
        foreach (var c in clients)
        {
            List<string> cells =
            [
                c.Id.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(c.Name),
                Markup.Escape(full ? ChatOutput.Key(c.Fingerprint) : ChatOutput.ShortKey(c.Fingerprint)),
                Markup.Escape(c.RemoteEndPoint.ToString()),
            ];
            if (full)
            {
                cells.Add(c.LocalPort.ToString(CultureInfo.InvariantCulture));
            }

            cells.Add(c.ConnectedSince.ToLocalTime().ToString(full ? "yyyy-MM-dd HH:mm:ss" : "HH:mm:ss", CultureInfo.InvariantCulture));
            cells.Add(Markup.Escape(full ? c.CipherSuite : ChatOutput.ShortSuite(c.CipherSuite)));
            cells.Add(Bytes(c.BytesIn));
            cells.Add(Bytes(c.BytesOut));
            table.AddRow([.. cells]);
        }

        table.Caption = new TableTitle(full ? $"{clients.Count} connected" : $"{clients.Count} connected; list full shows whole key fingerprints");
        return table;
    }

    private static string Bytes(long value) => value switch
    {
        < 10_000 => value.ToString(CultureInfo.InvariantCulture),
        < 10_000_000 => (value / 1000).ToString(CultureInfo.InvariantCulture) + "k",
        _ => (value / 1_000_000).ToString(CultureInfo.InvariantCulture) + "M",
    };

    public static Table StatsTable(ChatServerStats stats)
    {
        var table = new Table().AddColumns("counter", "value");
        table.AddRow("connected", $"{stats.Connected} of {stats.MaxClients}");
        table.AddRow("connections accepted", N(stats.Accepted));
        table.AddRow("clients refused", N(stats.Refused));
        table.AddRow("connections failed", N(stats.FailedConnections));
        table.AddRow("chat messages relayed", N(stats.MessagesRelayed));
        table.AddRow("end-to-end bytes relayed (opaque)", N(stats.DirectBytesRelayed));
        table.AddRow("bytes in", N(stats.BytesIn));
        table.AddRow("bytes out", N(stats.BytesOut));
        table.AddRow("uptime", stats.Uptime.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture));
        return table;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
