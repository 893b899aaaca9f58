using BenchmarkDotNet.Running;

// Pick benchmarks by name: dotnet run -c Release --project bench/SafeWire.Benchmarks -- --filter '*'
// Whole-system load runs: -- chat-load | chat-idle (Chat/ChatLoadRun.cs), -- voting-load [--pg CONNECTION] (Voting/VotingLoadRun.cs)
if (SafeWire.Benchmarks.Chat.ChatLoadRun.TryRun(args, out var exitCode)
    || SafeWire.Benchmarks.Voting.VotingLoadRun.TryRun(args, out exitCode))
{
    return exitCode;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
