using System.Diagnostics;

namespace SafeWire.Fuzz;

/// <summary>
/// One thing an outsider can feed bytes to. <see cref="Run"/> drives it with one input and returns normally or
/// throws; <see cref="IsTypedError"/> says which exceptions are the target's documented, typed refusals.
/// </summary>
public abstract class FuzzTarget
{
    /// <summary>Short name used on the command line and in reports.</summary>
    public abstract string Name { get; }

    /// <summary>Recorded, valid inputs the mutator starts from.</summary>
    public abstract IReadOnlyList<byte[]> Seeds { get; }

    /// <summary>The most bytes one input may make the target allocate (its documented limits, with room for the runtime).</summary>
    public abstract long AllocationLimit(int inputLength);

    /// <summary>Most work steps (records, frames, lines) one input may cost: more means a loop that does not consume input.</summary>
    public virtual int StepLimit(int inputLength) => inputLength + 64;

    /// <summary>Drives the target with one input; counts each unit of work with <paramref name="steps"/>.</summary>
    public abstract void Run(byte[] input, StepCounter steps);

    /// <summary>True for the typed errors this target is allowed to end with on bad input.</summary>
    public abstract bool IsTypedError(Exception exception);

    /// <summary>A typed error that still breaks a rule (internal_error for peer input); null if it is fine.</summary>
    public virtual string? CheckTypedError(Exception exception) => null;
}

/// <summary>Counts work per input; past the limit the input is reported as a hang.</summary>
public sealed class StepCounter(int limit)
{
    public int Count { get; private set; }

    public void Step()
    {
        if (++Count > limit)
        {
            throw new StepLimitExceededException($"more than {limit} steps for one input");
        }
    }
}

/// <summary>Thrown by <see cref="StepCounter"/>: the target kept working without consuming input.</summary>
public sealed class StepLimitExceededException(string message) : Exception(message);

/// <summary>One broken invariant: what, and the input that shows it.</summary>
public sealed record FuzzViolation(string Target, string Kind, string Detail, byte[] Input)
{
    public override string ToString() => $"{Target}: {Kind}: {Detail}\n  input ({Input.Length} bytes): {Convert.ToHexString(Input)}";
}

/// <summary>What one run over one target found, and how fast it went.</summary>
public sealed record FuzzReport(string Target, long Inputs, long TypedErrors, TimeSpan Elapsed, IReadOnlyList<FuzzViolation> Violations)
{
    public double InputsPerSecond => Inputs / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Deterministic mutation fuzzing: a <see cref="Random"/> seeded per run picks a seed input and 1..4 mutations
/// (bit flips, interesting bytes, length fields set to edge values, insertions, deletions, truncation, duplication,
/// splices with another seed). Each input is checked against three invariants: only typed errors (never an untyped
/// exception, never internal_error for peer input), no hang (a per-input step bound), and no allocation beyond the
/// target's documented limits (<see cref="GC.GetAllocatedBytesForCurrentThread"/> around the call).
/// </summary>
public static class FuzzRunner
{
    private const int MaxViolationsKept = 20;
    private static readonly byte[] s_interesting = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF, 0x10, 0x40, 0x20];
    private static readonly uint[] s_interestingLengths = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x4000, 0x4001, 0x4100, 0x4101, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x10001, 0xFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    /// <summary>Runs <paramref name="inputs"/> mutated inputs (the seeds themselves first) against <paramref name="target"/>.</summary>
    public static FuzzReport Run(FuzzTarget target, long inputs, int seed, Action<FuzzViolation>? onViolation = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var random = new Random(seed);
        var seeds = target.Seeds;
        var violations = new List<FuzzViolation>();
        long typed = 0;
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < inputs; i++)
        {
            var input = i < seeds.Count ? (byte[])seeds[(int)i].Clone() : Mutate(random, seeds);
            var violation = Check(target, input, ref typed);
            if (violation is not null)
            {
                onViolation?.Invoke(violation);
                if (violations.Count < MaxViolationsKept)
                {
                    violations.Add(violation);
                }
            }
        }

        return new FuzzReport(target.Name, inputs, typed, clock.Elapsed, violations);
    }

    /// <summary>Runs one input and checks the invariants; null when they hold.</summary>
    public static FuzzViolation? Check(FuzzTarget target, byte[] input, ref long typedErrors)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(input);
        var steps = new StepCounter(target.StepLimit(input.Length));
        long before = GC.GetAllocatedBytesForCurrentThread();
        FuzzViolation? violation = null;
        try
        {
            target.Run(input, steps);
        }
        catch (StepLimitExceededException e)
        {
            violation = new FuzzViolation(target.Name, "hang", e.Message, input);
        }
        catch (Exception e) when (target.IsTypedError(e))
        {
            typedErrors++;
            if (target.CheckTypedError(e) is { } broken)
            {
                violation = new FuzzViolation(target.Name, "wrong error", broken, input);
            }
        }
#pragma warning disable CA1031 // Any other exception is exactly what the fuzzer looks for.
        catch (Exception e)
#pragma warning restore CA1031
        {
            violation = new FuzzViolation(target.Name, "untyped exception", e.GetType().Name + ": " + e.Message + "\n" + e.StackTrace, input);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (violation is null && allocated > target.AllocationLimit(input.Length))
        {
            violation = new FuzzViolation(target.Name, "allocation", $"{allocated} bytes allocated for one input; the limit is {target.AllocationLimit(input.Length)}", input);
        }

        return violation;
    }

    /// <summary>One mutated input from <paramref name="seeds"/>.</summary>
    public static byte[] Mutate(Random random, IReadOnlyList<byte[]> seeds)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(seeds);
        var data = new List<byte>(seeds[random.Next(seeds.Count)]);
        int count = 1 + random.Next(4);
        for (int m = 0; m < count; m++)
        {
            Apply(random, data, seeds);
        }

        return [.. data];
    }

    private static void Apply(Random random, List<byte> data, IReadOnlyList<byte[]> seeds)
    {
        int op = random.Next(10);
        if (data.Count == 0)
        {
            op = 5;
        }

        int at = data.Count == 0 ? 0 : random.Next(data.Count);
        switch (op)
        {
            case 0 or 1: // flip one bit
                data[at] ^= (byte)(1 << random.Next(8));
                break;
            case 2: // an interesting byte
                data[at] = s_interesting[random.Next(s_interesting.Length)];
                break;
            case 3: // a random byte
                data[at] = (byte)random.Next(256);
                break;
            case 4: // a length field set to an edge value (1..4 bytes, big-endian)
            {
                int width = 1 + random.Next(4);
                uint value = s_interestingLengths[random.Next(s_interestingLengths.Length)];
                for (int b = 0; b < width && at + b < data.Count; b++)
                {
                    data[at + b] = (byte)(value >> (8 * (width - 1 - b)));
                }

                break;
            }

            case 5: // insert 1..16 bytes
            {
                var bytes = new byte[1 + random.Next(16)];
                random.NextBytes(bytes);
                data.InsertRange(Math.Min(at, data.Count), bytes);
                break;
            }

            case 6: // delete a range
                data.RemoveRange(at, Math.Min(1 + random.Next(32), data.Count - at));
                break;
            case 7: // truncate
                data.RemoveRange(at, data.Count - at);
                break;
            case 8: // duplicate a range
            {
                int length = Math.Min(1 + random.Next(64), data.Count - at);
                data.InsertRange(at, data.GetRange(at, length));
                break;
            }

            default: // splice: this input's prefix, another seed's suffix
            {
                var other = seeds[random.Next(seeds.Count)];
                int from = other.Length == 0 ? 0 : random.Next(other.Length);
                data.RemoveRange(at, data.Count - at);
                data.AddRange(other.AsSpan(from).ToArray());
                break;
            }
        }
    }
}
