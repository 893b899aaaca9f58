using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SafeWire.Files.Storage;

/// <summary>
/// Writes a received file front to back, on Linux around the page cache (O_DIRECT) while the writes are whole
/// aligned blocks from aligned memory. Why: on the receiving end of a bulk transfer, copying into freshly allocated
/// page-cache pages was the largest single CPU cost (≈ 1.3 s per GiB on the 2-core build VM, more than SHA-256), and
/// the bytes are only written, never read back. The first write that is not a whole number of blocks (the tail of
/// the file) turns direct I/O off for good, and so does a file system that refuses it: those bytes take the normal
/// buffered path, so the result is the same file either way.
/// </summary>
internal sealed class SequentialFileWriter
{
    /// <summary>Block size that offsets, lengths and buffer addresses must be multiples of for direct writes.</summary>
    public const int Alignment = 4096;

    private readonly SafeFileHandle _file;
    private bool _direct;

    /// <summary>Starts writing <paramref name="file"/> at <paramref name="position"/>.</summary>
    public SequentialFileWriter(SafeFileHandle file, long position)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        _file = file;
        Position = position;
        _direct = position % Alignment == 0 && DirectIo.TrySet(file, enable: true);
    }

    /// <summary>Where the next write goes.</summary>
    public long Position { get; private set; }

    /// <summary>Whether writes still bypass the page cache (for tests and diagnostics).</summary>
    public bool IsDirect => _direct;

    /// <summary>Writes <paramref name="data"/> at <see cref="Position"/> and moves past it.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_direct && data.Length % Alignment != 0)
        {
            StopDirect();
        }

        try
        {
            RandomAccess.Write(_file, data, Position);
        }
        catch (Exception e) when (_direct && e is IOException or ArgumentException)
        {
            // EINVAL: the memory, or this file system, does not suit direct I/O after all. Buffered writes do.
            StopDirect();
            RandomAccess.Write(_file, data, Position);
        }

        Position += data.Length;
    }

    /// <summary>
    /// Rounds a resume point down to a whole block, so a resumed transfer writes aligned blocks too (at most
    /// <see cref="Alignment"/> − 1 bytes are sent again).
    /// </summary>
    public static long AlignDown(long offset) => offset - (offset % Alignment);

    /// <summary>
    /// Rents a pooled buffer of at least <paramref name="length"/> bytes whose usable part starts on an
    /// <see cref="Alignment"/> boundary in memory, as direct writes need. Dispose it to give it back.
    /// </summary>
    public static AlignedBuffer RentAligned(int length) => new(length);

    private void StopDirect()
    {
        _direct = false;
        DirectIo.TrySet(_file, enable: false);
    }

    /// <summary>A pooled array, pinned while rented, with an aligned window of the asked length.</summary>
    internal sealed class AlignedBuffer : IDisposable
    {
        private readonly byte[] _array;
        private GCHandle _pin;

        internal AlignedBuffer(int length)
        {
            _array = ArrayPool<byte>.Shared.Rent(length + Alignment);
            _pin = GCHandle.Alloc(_array, GCHandleType.Pinned);
            var misalignment = (int)(_pin.AddrOfPinnedObject() % Alignment);
            Memory = _array.AsMemory(misalignment == 0 ? 0 : Alignment - misalignment, length);
        }

        /// <summary>The aligned window.</summary>
        public Memory<byte> Memory { get; }

        public void Dispose()
        {
            if (_pin.IsAllocated)
            {
                _pin.Free();
                ArrayPool<byte>.Shared.Return(_array);
            }
        }
    }

    /// <summary>Turns O_DIRECT on or off on an open file with fcntl(F_SETFL), where Linux and the CPU are known.</summary>
    private static class DirectIo
    {
        private const int GetStatusFlags = 3; // F_GETFL
        private const int SetStatusFlags = 4; // F_SETFL

        // O_DIRECT differs between Linux architectures; elsewhere direct I/O is not attempted.
        private static readonly int s_flag = !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x4000,
            Architecture.Arm64 or Architecture.Arm => 0x10000,
            _ => 0,
        };

        public static bool TrySet(SafeFileHandle file, bool enable)
        {
            if (s_flag == 0)
            {
                return false;
            }

            var flags = Fcntl(file, GetStatusFlags, 0);
            return flags >= 0 && Fcntl(file, SetStatusFlags, enable ? flags | s_flag : flags & ~s_flag) == 0;
        }

        [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int Fcntl(SafeFileHandle file, int command, int argument);
    }
}
