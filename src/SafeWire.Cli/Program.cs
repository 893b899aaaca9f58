return await SafeWire.Cli.SafeWireCli.RunAsync(args).ConfigureAwait(false);
