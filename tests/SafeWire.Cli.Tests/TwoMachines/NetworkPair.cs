using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;

namespace SafeWire.Cli.Tests.TwoMachines;

/// <summary>
/// Two network namespaces joined by a veth pair, each with its own address: two "machines" that reach each other
/// only over that link (10.213.7.1 and 10.213.7.2, which exist only inside the namespaces). Needs root and iproute2;
/// without them the test fails when CI=true and is skipped with the reason elsewhere.
/// </summary>
internal sealed class NetworkPair : IDisposable
{
    public const string ServerAddress = "10.213.7.1";
    public const string ClientAddress = "10.213.7.2";

    private NetworkPair(string server, string client)
    {
        ServerNamespace = server;
        ClientNamespace = client;
    }

    /// <summary>The namespace the servers (and the CA home) run in.</summary>
    public string ServerNamespace { get; }

    /// <summary>The namespace of the joining machine.</summary>
    public string ClientNamespace { get; }

    /// <summary>Creates the pair, or skips (fails when CI=true) with the reason it cannot.</summary>
    public static NetworkPair CreateOrSkip()
    {
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var server = "swA" + tag;
        var client = "swB" + tag;
        var pair = new NetworkPair(server, client);
        var failure = pair.TrySetUp(tag);
        if (failure is null)
        {
            return pair;
        }

        pair.Dispose();
        var reason = $"two-machine test NOT RUN: cannot create network namespaces joined by a veth pair ({failure}); it needs root and iproute2 (ip netns).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason);
        }

        Assert.Skip(reason);
        return pair;
    }

    private string? TrySetUp(string tag)
    {
        string[][] steps =
        [
            ["netns", "add", ServerNamespace],
            ["netns", "add", ClientNamespace],
            ["link", "add", "swva" + tag, "type", "veth", "peer", "name", "swvb" + tag],
            ["link", "set", "swva" + tag, "netns", ServerNamespace],
            ["link", "set", "swvb" + tag, "netns", ClientNamespace],
            ["-n", ServerNamespace, "addr", "add", ServerAddress + "/24", "dev", "swva" + tag],
            ["-n", ClientNamespace, "addr", "add", ClientAddress + "/24", "dev", "swvb" + tag],
            ["-n", ServerNamespace, "link", "set", "swva" + tag, "up"],
            ["-n", ClientNamespace, "link", "set", "swvb" + tag, "up"],
            ["-n", ServerNamespace, "link", "set", "lo", "up"],
            ["-n", ClientNamespace, "link", "set", "lo", "up"],
        ];
        foreach (var step in steps)
        {
            if (Ip(step) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static string? Ip(string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"ip {string.Join(' ', args)}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return "ip: " + e.Message;
        }
    }

    /// <summary>Deleting the namespaces also deletes the veth pair.</summary>
    public void Dispose()
    {
        Ip(["netns", "del", ServerNamespace]);
        Ip(["netns", "del", ClientNamespace]);
    }
}
