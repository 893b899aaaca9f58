using BenchmarkDotNet.Running;

// Pick benchmarks by name: dotnet run -c Release --project bench/SafeWire.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
