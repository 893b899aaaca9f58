using System.Text;
using SafeWire.Files.Ftp;

namespace SafeWire.Files.Tests.Ftp;

public class FtpCommandsTests
{
    private static FtpParseResult Parse(string line) => FtpCommands.Parse(Encoding.UTF8.GetBytes(line));

    [Theory]
    [InlineData("USER alice", FtpVerb.User, "alice")]
    [InlineData("user alice", FtpVerb.User, "alice")]
    [InlineData("RETR  two spaces.txt", FtpVerb.Retr, " two spaces.txt")]
    [InlineData("XPWD", FtpVerb.Pwd, "")]
    [InlineData("EPSV", FtpVerb.Epsv, "")]
    [InlineData("EPSV ALL", FtpVerb.Epsv, "ALL")]
    [InlineData("STOR naïve café.txt", FtpVerb.Stor, "naïve café.txt")]
    public void Parses_verb_and_keeps_argument_verbatim(string line, object verb, string argument) // object: FtpVerb is internal
    {
        var result = Parse(line);
        Assert.Null(result.Error);
        Assert.Equal((FtpVerb)verb, result.Request!.Value.Command.Verb);
        Assert.Equal(argument, result.Request.Value.Argument);
    }

    [Theory]
    [InlineData("FOO bar", 500)] // unrecognized (RFC 959: 500)
    [InlineData("", 500)]
    [InlineData("RETR", 501)] // argument required
    [InlineData("PWD extra", 501)] // no argument allowed
    [InlineData("USER", 501)]
    public void Refuses_bad_lines_with_the_rfc_code(string line, int code)
    {
        var result = Parse(line);
        Assert.Null(result.Request);
        Assert.Equal(code, result.Error!.Code);
    }

    [Fact]
    public void Invalid_utf8_is_refused_with_501()
    {
        var result = FtpCommands.Parse([(byte)'C', (byte)'W', (byte)'D', (byte)' ', 0xC3, 0x28]);
        Assert.Equal(501, result.Error!.Code);
    }

    [Fact]
    public void Telnet_interrupt_before_abor_is_dropped()
    {
        // RFC 959 §4.1.3: clients may send IAC IP IAC DM before ABOR.
        var result = FtpCommands.Parse([0xFF, 0xF4, 0xFF, 0xF2, (byte)'A', (byte)'B', (byte)'O', (byte)'R']);
        Assert.Equal(FtpVerb.Abor, result.Request!.Value.Command.Verb);
    }

    [Fact]
    public void Recognized_but_unimplemented_commands_are_in_the_table_as_such()
    {
        var port = Parse("PORT 127,0,0,1,4,1").Request!.Value.Command;
        Assert.Equal(FtpAccess.NotImplemented, port.Access);
        Assert.Equal(502, FtpSessionRules.Check(port, FtpLoginState.LoggedIn, secured: true, plainAllowed: false, readOnly: false)!.Code);
    }

    [Fact]
    public void Reply_text_cannot_inject_lines()
    {
        var bytes = new FtpReply(550, "bad\r\n230 Logged in").Encode();
        Assert.Equal("550 bad  230 Logged in\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Multiline_reply_has_rfc959_shape()
    {
        var text = Encoding.UTF8.GetString(new FtpReply(211, "Features:", ["UTF8", "EPSV"]).Encode());
        Assert.Equal("211-Features:\r\n UTF8\r\n EPSV\r\n211 End\r\n", text);
    }
}

public class FtpSessionRulesTests
{
    private static FtpCommandSpec Command(string line) => FtpCommands.Parse(Encoding.UTF8.GetBytes(line)).Request!.Value.Command;

    [Theory]
    [InlineData("USER alice")]
    [InlineData("PASS x")]
    [InlineData("LIST")]
    [InlineData("RETR a")]
    public void Without_tls_everything_but_the_basics_is_refused_with_530(string line)
    {
        Assert.Equal(530, FtpSessionRules.Check(Command(line), FtpLoginState.Connected, secured: false, plainAllowed: false, readOnly: false)!.Code);
    }

    [Theory]
    [InlineData("AUTH TLS")]
    [InlineData("FEAT")]
    [InlineData("QUIT")]
    [InlineData("NOOP")]
    [InlineData("SYST")]
    public void Basics_are_allowed_before_tls(string line)
    {
        Assert.Null(FtpSessionRules.Check(Command(line), FtpLoginState.Connected, secured: false, plainAllowed: false, readOnly: false));
    }

    [Fact]
    public void Plain_ftp_works_when_allowed()
    {
        Assert.Null(FtpSessionRules.Check(Command("USER alice"), FtpLoginState.Connected, secured: false, plainAllowed: true, readOnly: false));
    }

    [Fact]
    public void Pass_before_user_is_a_bad_sequence()
    {
        Assert.Equal(503, FtpSessionRules.Check(Command("PASS x"), FtpLoginState.Connected, secured: true, plainAllowed: false, readOnly: false)!.Code);
    }

    [Fact]
    public void File_commands_need_login()
    {
        Assert.Equal(530, FtpSessionRules.Check(Command("LIST"), FtpLoginState.UserGiven, secured: true, plainAllowed: false, readOnly: false)!.Code);
    }

    [Theory]
    [InlineData("STOR a")]
    [InlineData("APPE a")]
    [InlineData("DELE a")]
    [InlineData("MKD a")]
    [InlineData("RMD a")]
    [InlineData("RNFR a")]
    public void Read_only_users_cannot_write(string line)
    {
        Assert.Equal(550, FtpSessionRules.Check(Command(line), FtpLoginState.LoggedIn, secured: true, plainAllowed: false, readOnly: true)!.Code);
        Assert.Null(FtpSessionRules.Check(Command(line), FtpLoginState.LoggedIn, secured: true, plainAllowed: false, readOnly: false));
    }

    [Fact]
    public void Login_transitions_follow_the_table()
    {
        var state = FtpSessionRules.Next(FtpLoginState.Connected, FtpLoginEvent.UserNamed);
        Assert.Equal(FtpLoginState.UserGiven, state);
        Assert.Equal(FtpLoginState.Connected, FtpSessionRules.Next(state, FtpLoginEvent.PasswordRejected));
        Assert.Equal(FtpLoginState.LoggedIn, FtpSessionRules.Next(state, FtpLoginEvent.PasswordAccepted));
        Assert.Throws<InvalidOperationException>(() => FtpSessionRules.Next(FtpLoginState.Connected, FtpLoginEvent.PasswordAccepted));
    }
}
