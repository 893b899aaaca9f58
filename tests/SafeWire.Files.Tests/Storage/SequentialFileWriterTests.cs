using SafeWire.Files.Storage;
using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Storage;

public sealed class SequentialFileWriterTests : IDisposable
{
    private const int Block = SequentialFileWriter.Alignment;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Aligned_blocks_then_a_tail_land_byte_for_byte()
    {
        var expected = new byte[(3 * Block) + 100];
        new Random(1).NextBytes(expected);
        using var buffer = SequentialFileWriter.RentAligned(3 * Block);
        using var file = File.OpenHandle(_dir["out.bin"], FileMode.Create, FileAccess.ReadWrite);
        var writer = new SequentialFileWriter(file, 0);

        expected.AsSpan(0, 2 * Block).CopyTo(buffer.Memory.Span);
        writer.Write(buffer.Memory.Span[..(2 * Block)]);
        expected.AsSpan(2 * Block, Block).CopyTo(buffer.Memory.Span);
        writer.Write(buffer.Memory.Span[..Block]);
        expected.AsSpan(3 * Block).CopyTo(buffer.Memory.Span);
        writer.Write(buffer.Memory.Span[..100]);

        Assert.False(writer.IsDirect); // the tail is not a whole block: the page cache takes it and what follows
        Assert.Equal(expected.Length, writer.Position);
        file.Dispose();
        Assert.Equal(expected, File.ReadAllBytes(_dir["out.bin"]));
    }

    [Fact]
    public void Unaligned_memory_falls_back_to_buffered_writes_with_the_same_bytes()
    {
        var expected = new byte[2 * Block];
        new Random(2).NextBytes(expected);
        using var buffer = SequentialFileWriter.RentAligned((2 * Block) + 1);
        expected.CopyTo(buffer.Memory.Span[1..]);
        using var file = File.OpenHandle(_dir["odd.bin"], FileMode.Create, FileAccess.ReadWrite);
        var writer = new SequentialFileWriter(file, 0);

        writer.Write(buffer.Memory.Span.Slice(1, 2 * Block)); // whole blocks, but one byte off in memory

        Assert.False(writer.IsDirect); // refused with EINVAL where direct I/O is on, then written through the cache
        file.Dispose();
        Assert.Equal(expected, File.ReadAllBytes(_dir["odd.bin"]));
    }

    [Fact]
    public void A_start_inside_a_block_never_goes_direct()
    {
        File.WriteAllBytes(_dir["resume.bin"], new byte[10]);
        using var file = File.OpenHandle(_dir["resume.bin"], FileMode.Open, FileAccess.ReadWrite);
        var writer = new SequentialFileWriter(file, 10);

        Assert.False(writer.IsDirect);
        writer.Write(new byte[] { 1, 2, 3 });

        file.Dispose();
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3], File.ReadAllBytes(_dir["resume.bin"]));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(4095, 0)]
    [InlineData(4096, 4096)]
    [InlineData(1_000_000, 999_424)]
    public void Resume_points_round_down_to_a_whole_block(long offset, long expected) =>
        Assert.Equal(expected, SequentialFileWriter.AlignDown(offset));
}
