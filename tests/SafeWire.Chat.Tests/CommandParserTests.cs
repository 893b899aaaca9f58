using SafeWire.Chat.Client;
using SafeWire.Chat.Server;

namespace SafeWire.Chat.Tests;

public sealed class CommandParserTests
{
    [Theory]
    [InlineData("list", typeof(AdminList))]
    [InlineData("  LIST ", typeof(AdminList))]
    [InlineData("stats", typeof(AdminStats))]
    [InlineData("stop", typeof(AdminStop))]
    [InlineData("help", typeof(AdminHelp))]
    [InlineData("", typeof(AdminEmpty))]
    [InlineData("kick", typeof(AdminInvalid))]
    [InlineData("kick bob", typeof(AdminInvalid))]
    [InlineData("broadcast", typeof(AdminInvalid))]
    [InlineData("reboot", typeof(AdminInvalid))]
    public void AdminCommands_ParseToTheirType(string line, Type expected) =>
        Assert.IsType(expected, AdminCommand.Parse(line));

    [Fact]
    public void Kick_CarriesIdAndReason()
    {
        Assert.Equal(new AdminKick(3, "spamming the room"), AdminCommand.Parse("kick 3 spamming the room"));
        Assert.Equal(new AdminKick(4, "no reason given"), AdminCommand.Parse("kick 4"));
        Assert.Equal(new AdminBroadcast("back in 5"), AdminCommand.Parse("broadcast back in 5"));
    }

    [Fact]
    public void UnknownAdminCommand_GetsAOneLineHint()
    {
        var hint = Assert.IsType<AdminInvalid>(AdminCommand.Parse("frobnicate now")).Hint;
        Assert.Equal("unknown command \"frobnicate\"; type help for the list", hint);
    }

    [Fact]
    public void ClientInput_Parses()
    {
        Assert.Equal(new InputChat("hello there"), ClientInput.Parse("hello there"));
        Assert.IsType<InputWho>(ClientInput.Parse("/who"));
        Assert.IsType<InputQuit>(ClientInput.Parse("/quit"));
        Assert.Equal(new InputDirect("bob", "secret plan"), ClientInput.Parse("/msg bob secret plan"));
        Assert.IsType<InputInvalid>(ClientInput.Parse("/msg bob"));
        Assert.IsType<InputInvalid>(ClientInput.Parse("/dance"));
        Assert.IsType<InputEmpty>(ClientInput.Parse("   "));
    }
}
