using System.Buffers;
using System.Text;

namespace SafeWire.Files.Storage;

/// <summary>A path inside the jail: the virtual path the client sees ("/a/b") and the file system path it maps to.</summary>
internal readonly record struct JailPath(string VirtualPath, string PhysicalPath)
{
    /// <summary>The last segment of the virtual path ("" for the root).</summary>
    public string Name => VirtualPath == "/" ? "" : VirtualPath[(VirtualPath.LastIndexOf('/') + 1)..];

    public bool IsRoot => VirtualPath == "/";
}

/// <summary>
/// Maps client paths onto one directory that no path can leave. Shared by the SafeWire file server and the
/// FTP server. Every segment is checked (NUL, control and bidi characters, backslashes, NFKC look-alikes of
/// "." ".." "/", Windows device names, reserved partial-upload names, lengths); names are otherwise kept byte for
/// byte, as Linux file systems do; ".." may not climb above the root; and the real path
/// (symbolic links followed, like realpath(3)) must stay inside the real root.
/// </summary>
/// <remarks>
/// The symlink check runs when the path is resolved, so a link swapped in between the check and the open
/// (a race only someone with shell access to the root can run) is not covered; clients cannot create links.
/// </remarks>
internal sealed class RootJail
{
    /// <summary>Longest single name in UTF-8 bytes (the usual NAME_MAX).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Longest virtual path in characters.</summary>
    public const int MaxPathLength = 4096;

    private const int MaxSymlinkHops = 40;

    private static readonly string[] s_deviceNames =
    [
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];

    // Characters that look like (or compatibility-normalize to) '/' and '\\' anywhere in a name, and '.' in a name
    // made only of dots. Listed rather than computed with string.Normalize: the build runs with invariant
    // globalization, where normalization is not available.
    private static readonly SearchValues<char> s_slashLookalikes = SearchValues.Create("\u2215\u2044\uFF0F\u29F8\u2571\u29F5\u29F9\uFE68\uFF3C\u2216");
    private static readonly SearchValues<char> s_dotLookalikes = SearchValues.Create(".\u2024\u2025\u2026\uFE52\uFF0E\u00B7\u2027\u0701\u0702\uA60E");

    public RootJail(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"The root directory {full} does not exist.");
        }

        Root = RealPath(full);
    }

    /// <summary>The root directory, with symbolic links resolved.</summary>
    public string Root { get; }

    /// <summary>The jail's root as a <see cref="JailPath"/>.</summary>
    public JailPath RootPath => new("/", Root);

    /// <summary>
    /// Resolves <paramref name="requested"/> (absolute from the virtual root, or relative to
    /// <paramref name="currentDirectory"/>, itself a virtual path). Throws <see cref="PathRejectedException"/>.
    /// </summary>
    public JailPath Resolve(string currentDirectory, string requested)
    {
        ArgumentNullException.ThrowIfNull(currentDirectory);
        ArgumentNullException.ThrowIfNull(requested);
        if (requested.Length > MaxPathLength || currentDirectory.Length > MaxPathLength)
        {
            throw new PathRejectedException(PathRejection.TooLong, "The path is too long.");
        }

        var segments = new List<string>();
        if (!requested.StartsWith('/'))
        {
            AppendSegments(segments, currentDirectory);
        }

        AppendSegments(segments, requested);
        var virtualPath = "/" + string.Join('/', segments);
        var physical = segments.Count == 0 ? Root : Root + "/" + string.Join('/', segments);
        var real = RealPath(physical);
        if (real != Root && !real.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            throw new PathRejectedException(PathRejection.SymlinkEscape, $"{virtualPath} leads outside the served directory through a symbolic link.");
        }

        return new JailPath(virtualPath, physical);
    }

    /// <summary>Resolves a path relative to the root.</summary>
    public JailPath Resolve(string requested) => Resolve("/", requested);

    /// <summary>
    /// The entries of a directory inside the jail, sorted by name (ordinal): partial uploads, names with CR or LF
    /// (no listing line can carry them) and links leading out of the root are left out; a link inside the root is
    /// listed as what it points to, as ls -L does.
    /// </summary>
    public List<FileSystemInfo> ListDirectory(string physicalDirectory)
    {
        var entries = new List<FileSystemInfo>();
        foreach (var entry in new DirectoryInfo(physicalDirectory).EnumerateFileSystemInfos())
        {
            if (IsHidden(entry.Name) || entry.Name.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                continue;
            }

            if (entry.LinkTarget is not null)
            {
                var real = RealPath(entry.FullName);
                if ((real != Root && !real.StartsWith(Root + "/", StringComparison.Ordinal)) || !Path.Exists(real))
                {
                    continue;
                }

                entries.Add(Directory.Exists(real) ? new DirectoryInfo(entry.FullName) : new FileInfo(entry.FullName));
                continue;
            }

            entries.Add(entry);
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    /// <summary>True for names the jail hides from listings (partial uploads).</summary>
    public static bool IsHidden(string name) => name.EndsWith(PartialFile.Suffix, StringComparison.Ordinal);

    private static void AppendSegments(List<string> segments, string path)
    {
        foreach (var raw in path.Split('/'))
        {
            if (raw.Length == 0 || raw == ".")
            {
                continue;
            }

            if (raw == "..")
            {
                if (segments.Count == 0)
                {
                    throw new PathRejectedException(PathRejection.EscapesRoot, "\"..\" cannot climb above the served directory.");
                }

                segments.RemoveAt(segments.Count - 1);
                continue;
            }

            segments.Add(CheckSegment(raw));
        }
    }

    /// <summary>Validates one name.</summary>
    private static string CheckSegment(string segment)
    {
        foreach (var c in segment)
        {
            if (c == '\0')
            {
                throw new PathRejectedException(PathRejection.NulCharacter, "The path contains a NUL character.");
            }

            if (char.IsControl(c) || IsBidiControl(c))
            {
                throw new PathRejectedException(PathRejection.ControlCharacter, "The path contains a control character.");
            }

            if (c == '\\')
            {
                throw new PathRejectedException(PathRejection.Backslash, "The path contains a backslash.");
            }
        }

        // Checked before normalizing: Normalize throws on lone surrogates.
        if (!IsValidUtf16(segment))
        {
            throw new PathRejectedException(PathRejection.InvalidUnicode, "The path is not valid Unicode.");
        }

        if (segment.AsSpan().IndexOfAny(s_slashLookalikes) >= 0 || segment.AsSpan().IndexOfAnyExcept(s_dotLookalikes) < 0)
        {
            throw new PathRejectedException(PathRejection.UnicodeLookalike, $"The name \"{segment}\" imitates a path separator or a dot name.");
        }

        var name = segment;
        if (IsDeviceName(name))
        {
            throw new PathRejectedException(PathRejection.DeviceName, $"\"{name}\" is a device name or ends in a dot or space.");
        }

        if (IsHidden(name))
        {
            throw new PathRejectedException(PathRejection.Reserved, $"Names ending in {PartialFile.Suffix} are reserved for partial uploads.");
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            throw new PathRejectedException(PathRejection.TooLong, "A name is longer than 255 bytes.");
        }

        return name;
    }

    private static bool IsBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

    private static bool IsValidUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDeviceName(string name)
    {
        if (name.EndsWith('.') || name.EndsWith(' '))
        {
            return true;
        }

        // Windows treats "NUL.txt" and "nul .tar.gz" as the device too: compare the part before the first dot.
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var stem = (dot < 0 ? name : name[..dot]).TrimEnd(' ');
        foreach (var device in s_deviceNames)
        {
            if (string.Equals(stem, device, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        // Superscript digits count as digits for COM/LPT on Windows.
        return stem.Length == 4 && (stem.StartsWith("COM", StringComparison.OrdinalIgnoreCase) || stem.StartsWith("LPT", StringComparison.OrdinalIgnoreCase))
            && stem[3] is '\u00B9' or '\u00B2' or '\u00B3';
    }

    /// <summary>
    /// realpath(3) in managed code: follows every symbolic link in <paramref name="absolute"/> (components that do
    /// not exist stay as written). ".." inside a link target applies to the resolved directory, as the kernel does.
    /// </summary>
    internal static string RealPath(string absolute)
    {
        var pending = new Stack<string>();
        PushReversed(pending, absolute);
        var resolved = new List<string>();
        var hops = 0;
        while (pending.TryPop(out var part))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = "/" + string.Join('/', resolved) + (resolved.Count == 0 ? "" : "/") + part;
            string? target;
            try
            {
                target = new FileInfo(candidate).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                target = null;
            }

            if (target is null)
            {
                resolved.Add(part);
                continue;
            }

            if (++hops > MaxSymlinkHops)
            {
                throw new PathRejectedException(PathRejection.SymlinkEscape, "Too many levels of symbolic links.");
            }

            if (target.StartsWith('/'))
            {
                resolved.Clear();
            }

            PushReversed(pending, target);
        }

        return "/" + string.Join('/', resolved);
    }

    private static void PushReversed(Stack<string> stack, string path)
    {
        var parts = path.Split('/');
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            stack.Push(parts[i]);
        }
    }
}
