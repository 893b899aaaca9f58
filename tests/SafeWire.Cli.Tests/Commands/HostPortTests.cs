using SafeWire.Cli.Commands;
using Xunit;

namespace SafeWire.Cli.Tests.Commands;

/// <summary>The one HOST:PORT parser every client verb uses.</summary>
public sealed class HostPortTests
{
    [Theory]
    [InlineData("127.0.0.1:7000", null, "127.0.0.1", 7000)]
    [InlineData("example.org:1", null, "example.org", 1)]
    [InlineData("[::1]:65535", null, "::1", 65535)]
    [InlineData("localhost", 10101, "localhost", 10101)]
    [InlineData("[::1]", 7022, "::1", 7022)]
    [InlineData("localhost:2121", 10101, "localhost", 2121)]
    public void AcceptsEveryDocumentedForm(string text, int? defaultPort, string host, int port)
    {
        Assert.True(HostPort.TryParse(text, defaultPort, out var parsed));
        Assert.Equal(new HostPort(host, port), parsed);
    }

    [Theory]
    [InlineData("localhost", null)]       // no port and no default
    [InlineData(":7000", null)]           // no host
    [InlineData("host:0", null)]          // port out of range
    [InlineData("host:65536", null)]
    [InlineData("host:-1", null)]
    [InlineData("host:70a", null)]
    [InlineData("::1:7000", 10101)]       // unbracketed IPv6 is ambiguous
    [InlineData("[::1", 10101)]           // unclosed bracket
    [InlineData("[::1]7000", 10101)]      // no colon after the bracket
    [InlineData("", 10101)]
    public void RefusesMalformedAddressesWithOneLine(string text, int? defaultPort)
    {
        Assert.False(HostPort.TryParse(text, defaultPort, out _));
        var error = Assert.Throws<CliException>(() => HostPort.Parse(text, "the server", defaultPort));
        Assert.Contains("is not HOST:PORT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrintsIPv6InBrackets()
    {
        Assert.Equal("[::1]:7000", new HostPort("::1", 7000).ToString());
        Assert.Equal("127.0.0.1:7000", new HostPort("127.0.0.1", 7000).ToString());
    }
}
