return await SafeWire.Cli.SafeWireCli.RunAsync(args).ConfigureAwait(false);
using System.CommandLine;
using SafeWire.Cli.Commands;

var root = new RootCommand("SafeWire: authenticated, encrypted channels and the applications on top of them.");
root.Options.Add(CommonOptions.Home);
root.Subcommands.Add(SafeWire.Cli.Commands.Init.InitCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Keys.KeysCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Ca.CaCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Cert.CertCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Allow.AllowCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Serve.ServeCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Chat.ChatCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Send.SendCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Demo.DemoCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Trace.TraceCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Vote.VoteCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Ftp.FtpCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Files.FilesCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Km.KmCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Peer.PeerCommandDefinition.Create());
root.Subcommands.Add(SafeWire.Cli.Commands.Trust.TrustCommandDefinitions.CreateId());
root.Subcommands.Add(SafeWire.Cli.Commands.Trust.TrustCommandDefinitions.CreateInvite());
root.Subcommands.Add(SafeWire.Cli.Commands.Trust.TrustCommandDefinitions.CreateJoin());
root.Subcommands.Add(SafeWire.Cli.Commands.Trust.TrustCommandDefinitions.CreateKnownHosts());

// Piped output (scripts, tests) is not cut to 80 columns: fingerprints and paths stay on one line.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Width = 240;
}

// Any exception escaping a verb becomes one line on stderr and exit code 1 (usage errors exit 2 via the parser).
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    return CliErrors.Report(e);
}
