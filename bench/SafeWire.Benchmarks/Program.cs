using BenchmarkDotNet.Running;

// Pick benchmarks by name: dotnet run -c Release --project bench/SafeWire.Benchmarks -- --filter '*'
// Whole-system load runs: -- chat-load | chat-idle (bench/SafeWire.Benchmarks/Chat/ChatLoadRun.cs)
if (SafeWire.Benchmarks.Chat.ChatLoadRun.TryRun(args, out var exitCode))
{
    return exitCode;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
