using BenchmarkDotNet.Running;
using SafeWire.Benchmarks.Channel;

// dotnet run -c Release --project bench/SafeWire.Benchmarks -- channel        secure channel load run (Stopwatch, one table)
// dotnet run -c Release --project bench/SafeWire.Benchmarks -- channel quick  the same, small (checks the harness)
// dotnet run -c Release --project bench/SafeWire.Benchmarks -- all            the channel load run, then every micro-benchmark
// dotnet run -c Release --project bench/SafeWire.Benchmarks -- --filter '*'   BenchmarkDotNet micro-benchmarks only
// Verifiable voting costs: -- verifiable [--ballots N] [--record N] (Voting/VerifiableRun.cs)
// Whole-system load runs: -- chat-load | chat-idle (Chat/ChatLoadRun.cs), -- voting-load [--pg CONNECTION] (Voting/VotingLoadRun.cs)
// Join codes redeemed per second on one server: -- joins [--joins N] [--concurrency C] [--open K] [--server-process] (Joins/JoinsRun.cs)
if (SafeWire.Benchmarks.Chat.ChatLoadRun.TryRun(args, out var exitCode)
    || SafeWire.Benchmarks.Joins.JoinsRun.TryRun(args, out exitCode)
    || SafeWire.Benchmarks.Voting.VotingLoadRun.TryRun(args, out exitCode)
    || SafeWire.Benchmarks.Voting.VerifiableRun.TryRun(args, out exitCode))
{
    return exitCode;
}

switch (args.FirstOrDefault())
{
    case "channel":
        return await ChannelLoadRun.RunAsync(args[1..]);
    case IdleMemory.ChildMode:
        return await IdleMemory.RunChildAsync(args[1..]);
    case "all":
        int result = await ChannelLoadRun.RunAsync(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(["--filter", "*"]);
        return result;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
}
