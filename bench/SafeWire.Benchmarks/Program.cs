using BenchmarkDotNet.Running;

// Pick benchmarks by name: dotnet run -c Release --project bench/SafeWire.Benchmarks -- --filter '*'
// Voting load run: -- voting-load [--pg CONNECTION] (bench/SafeWire.Benchmarks/Voting/VotingLoadRun.cs)
if (SafeWire.Benchmarks.Voting.VotingLoadRun.TryRun(args, out var exitCode))
{
    return exitCode;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
