using System.CommandLine;
using SafeWire.Cli.Commands;

var root = new RootCommand("SafeWire: authenticated, encrypted channels and the applications on top of them.");
root.Options.Add(CommonOptions.Home);
root.Subcommands.Add(SafeWire.Cli.Commands.Ftp.FtpCommandDefinition.Create());
return root.Parse(args).Invoke();
