using System.CommandLine;
using SafeWire.Cli.Commands;
using SafeWire.Cli.Commands.Vote;

var root = new RootCommand("SafeWire: authenticated, encrypted channels and the applications on top of them.");
root.Options.Add(CommonOptions.Home);
root.Subcommands.Add(VoteCommandDefinition.Create());
return root.Parse(args).Invoke();
