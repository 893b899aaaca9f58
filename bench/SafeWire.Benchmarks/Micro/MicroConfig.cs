using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace SafeWire.Benchmarks.Micro;

/// <summary>
/// Short runs in this process: no generated project to build (minutes on a loaded 2-core machine), 3 warm-ups and
/// 5 measured iterations per case. Enough for the scale of each number; rerun a class alone for tighter intervals.
/// </summary>
public sealed class MicroConfig : ManualConfig
{
    public MicroConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(5).WithId("InProcessShort"));
    }
}
