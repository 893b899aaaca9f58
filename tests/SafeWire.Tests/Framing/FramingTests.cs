using SafeWire.Framing;
using Xunit;

namespace SafeWire.Tests.Framing;

public sealed class FramingTests
{
    private sealed class TestWireException(WireError error) : IOException(error.Describe())
    {
        public WireError Error { get; } = error;
    }

    private sealed class Errors : IWireErrors
    {
        public static Errors Instance { get; } = new();

        public Exception Create(WireError wireError) => new TestWireException(wireError);

        public bool IsKnownType(byte type) => type is 1 or 2;
    }

    private static WireErrorKind KindOf(Action action) => Assert.Throws<TestWireException>(action).Error.Kind;

    [Fact]
    public void Fields_RoundTrip_BigEndian()
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var writer = new FieldWriter()
            .U8(7).U16(0x0102).U32(0x03040506).U64(0x0708090A0B0C0D0E).I64(-2)
            .Bytes16([0xAA, 0xBB]).Bytes32([0xCC]).String16("héllo").Fixed([9, 9]).UnixMilliseconds(time);
        var bytes = writer.ToArray();
        Assert.Equal(new byte[] { 7, 1, 2, 3, 4, 5, 6 }, bytes[..7]);

        var reader = new FieldReader(bytes, Errors.Instance);
        Assert.Equal(7, reader.U8());
        Assert.Equal(0x0102, reader.U16());
        Assert.Equal(0x03040506u, reader.U32());
        Assert.Equal(0x0708090A0B0C0D0Eul, reader.U64());
        Assert.Equal(-2, reader.I64());
        Assert.Equal(new byte[] { 0xAA, 0xBB }, reader.Bytes16Exactly(2).ToArray());
        Assert.Equal(new byte[] { 0xCC }, reader.Bytes32(1).ToArray());
        Assert.Equal("héllo", reader.String16(6));
        Assert.Equal(new byte[] { 9, 9 }, reader.Fixed(2).ToArray());
        Assert.Equal(time, reader.UnixMilliseconds());
        reader.End();
    }

    [Fact]
    public void Reader_RefusesEveryMalformedField_WithItsKind()
    {
        Assert.Equal(WireErrorKind.Truncated, KindOf(() => new FieldReader([0, 5, 1], Errors.Instance).Bytes16()));
        Assert.Equal(WireErrorKind.Truncated, KindOf(() => new FieldReader([1, 2, 3], Errors.Instance).U32()));
        Assert.Equal(WireErrorKind.BytesTooLong, KindOf(() => new FieldReader([0, 0, 0, 9, 1], Errors.Instance).Bytes32(8)));
        Assert.Equal(WireErrorKind.BytesTooLong, KindOf(() => new FieldReader([0xFF, 0xFF, 0xFF, 0xFF], Errors.Instance).Bytes32(int.MaxValue - 1)));
        Assert.Equal(WireErrorKind.TextTooLong, KindOf(() => new FieldReader([0, 3, 0x61, 0x61, 0x61], Errors.Instance).String16(2)));
        Assert.Equal(WireErrorKind.InvalidUtf8, KindOf(() => new FieldReader([0, 2, 0xC3, 0x28], Errors.Instance).String16()));
        Assert.Equal(WireErrorKind.WrongLength, KindOf(() => new FieldReader([0, 1, 0], Errors.Instance).Bytes16Exactly(2)));
        Assert.Equal(WireErrorKind.TimeOutOfRange, KindOf(() => new FieldReader([0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], Errors.Instance).UnixMilliseconds()));
        Assert.Equal(WireErrorKind.TrailingBytes, KindOf(() =>
        {
            var reader = new FieldReader([1, 2], Errors.Instance);
            reader.U8();
            reader.End();
        }));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Header_RoundTrips_AndIsCheckedBeforeAnyPayload(string name)
    {
        var format = FormatNamed(name);
        var frame = new FieldWriter(format, 2).U32(42).ToFrame(16);
        var (type, length) = format.ReadHeader(frame, 16, Errors.Instance);
        Assert.Equal((2, 4), (type, length));

        Assert.Throws<InvalidOperationException>(() => new FieldWriter(format, 2).Fixed(new byte[17]).ToFrame(16));
        var tooLong = new byte[format.HeaderSize];
        format.WriteHeader(tooLong, 1, 100);
        Assert.Equal(WireErrorKind.FrameTooLong, KindOf(() => format.ReadHeader(tooLong, 16, Errors.Instance)));
        var unknown = new byte[format.HeaderSize];
        format.WriteHeader(unknown, 9, 1);
        Assert.Equal(WireErrorKind.UnknownType, KindOf(() => format.ReadHeader(unknown, 16, Errors.Instance)));
    }

    [Fact]
    public void LengthThenType_RefusesLengthZero()
    {
        Assert.Equal(WireErrorKind.FrameTooLong, KindOf(() => FrameFormat.LengthThenType.ReadHeader(new byte[] { 0, 0, 0, 0, 1 }, 16, Errors.Instance)));
    }

    [Fact]
    public async Task Connection_WritesAndReadsFrames_ObservesBoth_AndReportsACleanEnd()
    {
        var seen = new List<(bool Inbound, int Length)>();
        using var pipe = new MemoryStream();
        var writer = new FrameConnection(pipe, FrameFormat.LengthThenType, 64, Errors.Instance, (inbound, frame) => seen.Add((inbound, frame.Length)), leaveOpen: true);
        await writer.WriteAsync(1, new byte[] { 1, 2, 3 }, CancellationToken.None);
        await writer.WriteFrameAsync(new FieldWriter(FrameFormat.LengthThenType, 2).String16("hi").ToFrame(63), CancellationToken.None);
        await writer.DisposeAsync();
        Assert.Equal(new byte[] { 0, 0, 0, 4, 1, 1, 2, 3 }, pipe.ToArray()[..8]);

        pipe.Position = 0;
        await using var reader = new FrameConnection(pipe, FrameFormat.LengthThenType, 64, Errors.Instance, (inbound, frame) => seen.Add((inbound, frame.Length)));
        var first = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal(1, first!.Value.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, first.Value.Payload.ToArray());
        var text = await reader.ReadAsync((type, payload) =>
        {
            var fields = new FieldReader(payload, Errors.Instance);
            var value = fields.String16();
            fields.End();
            return $"{type}:{value}";
        }, CancellationToken.None);
        Assert.Equal("2:hi", text);
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
        Assert.Equal([(false, 8), (false, 9), (true, 8), (true, 9)], seen);
    }

    [Fact]
    public async Task Connection_RefusesAnOversizedFrameFromItsHeader_AndAnEndInsideAFrame()
    {
        await using var huge = new FrameConnection(new MemoryStream([0x7F, 0xFF, 0xFF, 0xFF, 1]), FrameFormat.LengthThenType, 64, Errors.Instance);
        Assert.Equal(WireErrorKind.FrameTooLong, (await Assert.ThrowsAsync<TestWireException>(() => huge.ReadAsync(CancellationToken.None).AsTask())).Error.Kind);

        await using var cutHeader = new FrameConnection(new MemoryStream([1, 0]), FrameFormat.TypeThenLength24, 64, Errors.Instance);
        Assert.Equal(WireErrorKind.EndInHeader, (await Assert.ThrowsAsync<TestWireException>(() => cutHeader.ReadAsync(CancellationToken.None).AsTask())).Error.Kind);

        await using var cutPayload = new FrameConnection(new MemoryStream([1, 0, 0, 0, 5, 1, 2]), FrameFormat.TypeThenLength32, 64, Errors.Instance);
        Assert.Equal(WireErrorKind.EndInPayload, (await Assert.ThrowsAsync<TestWireException>(() => cutPayload.ReadAsync(CancellationToken.None).AsTask())).Error.Kind);
    }

    public static TheoryData<string> Formats => [nameof(FrameFormat.LengthThenType), nameof(FrameFormat.TypeThenLength32), nameof(FrameFormat.TypeThenLength24)];

    private static FrameFormat FormatNamed(string name) => name switch
    {
        nameof(FrameFormat.LengthThenType) => FrameFormat.LengthThenType,
        nameof(FrameFormat.TypeThenLength32) => FrameFormat.TypeThenLength32,
        _ => FrameFormat.TypeThenLength24,
    };
}
