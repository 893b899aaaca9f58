using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;
using System.Security.Cryptography;
using SafeWire.Voting;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>Shared plumbing of the vote verbs: the home directory and turning failures into one line on stderr.</summary>
internal static class VoteCli
{
    public const int ExitError = 1;

    /// <summary>The server said "no" for good (not registered, already voted, closed...).</summary>
    public const int ExitRefused = 2;

    public static string ResolveHome(ParseResult parse)
    {
        if (parse.GetValue(CommonOptions.Home) is { } home)
        {
            return home.FullName;
        }

        return Environment.GetEnvironmentVariable("SAFEWIRE_HOME") is { Length: > 0 } env
            ? Path.GetFullPath(env)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".safewire");
    }

    public static async Task<int> RunAsync(ParseResult parse, string verb, Func<string, Task<int>> body)
    {
        try
        {
            return await body(ResolveHome(parse));
        }
        catch (OperationCanceledException)
        {
            return ExitError;
        }
        catch (Exception e) when (e is VotingException or VoteProtocolException or IOException or SocketException or CryptographicException
            or DbException or UnauthorizedAccessException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"safewire vote {verb}: {e.Message}");
            return ExitError;
        }
    }

    /// <summary>Parses HOST:PORT (IPv6 as [::1]:PORT); null if <paramref name="value"/> is not of that form.</summary>
    public static (string Host, int Port)? TryParseEndpoint(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return null;
        }

        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length == 0 ? null : (host, port);
    }

    /// <summary>Opens a TCP connection with a bounded wait.</summary>
    public static async Task<TcpClient> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            await client.ConnectAsync(host, port, timeout.Token);
            return client;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw new TimeoutException($"Could not connect to {host}:{port} within 15 seconds.");
        }
        catch (SocketException e)
        {
            client.Dispose();
            throw new VotingException($"Could not connect to {host}:{port}: {e.Message}", e);
        }
    }
}
