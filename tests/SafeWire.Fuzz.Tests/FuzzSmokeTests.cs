using System.Text;

namespace SafeWire.Fuzz.Tests;

/// <summary>
/// The bounded fuzz run CI does on every build: a fixed number of deterministic mutated inputs per target (the long
/// run is <c>dotnet run -c Release --project tests/SafeWire.Fuzz</c>). Fails on any untyped exception, internal_error
/// for peer input, hang or allocation beyond the limits, and prints each failing input in hex.
/// </summary>
public sealed class FuzzSmokeTests
{
    public static TheoryData<string, int> Runs() => new()
    {
        { "handshake-server", 3_000 },
        { "handshake-client", 3_000 },
        { "handshake-server-flight", 3_000 },
        { "handshake-client-flight", 3_000 },
        { "chat-frames", 30_000 },
        { "files-server", 3_000 },
        { "km-frames", 30_000 },
        { "vote-frames", 30_000 },
        { "ftp-commands", 30_000 },
        { "identity-files", 2_000 },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void Target_HoldsItsInvariants(string target, int inputs)
    {
        using var lease = Targets.Create(target);
        var report = FuzzRunner.Run(lease.Target, inputs, seed: 1);
        var failures = new StringBuilder();
        foreach (var violation in report.Violations)
        {
            failures.AppendLine(violation.ToString());
        }

        Assert.True(report.Violations.Count == 0, $"{report.Violations.Count} violations in {report.Inputs} inputs:\n{failures}");
        Assert.Equal(inputs, report.Inputs);
    }

    [Fact]
    public void EveryTarget_RefusesGarbageWithTypedErrorsOnly()
    {
        // The runner itself must be able to fail: an input that breaks an invariant is reported with its bytes.
        var report = FuzzRunner.Run(new ThrowingTarget(), 3, seed: 1);
        Assert.Equal(3, report.Violations.Count);
        Assert.Contains("untyped exception", report.Violations[0].ToString(), StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexString(ThrowingTarget.Seed), report.Violations[0].ToString(), StringComparison.Ordinal);
    }

    private sealed class ThrowingTarget : FuzzTarget
    {
        public static readonly byte[] Seed = [0xCA, 0xFE];

        public override string Name => "throwing";

        public override IReadOnlyList<byte[]> Seeds => [Seed];

        public override long AllocationLimit(int inputLength) => long.MaxValue;

        public override void Run(byte[] input, StepCounter steps) => throw new InvalidOperationException("boom");

        public override bool IsTypedError(Exception error) => false;
    }
}
