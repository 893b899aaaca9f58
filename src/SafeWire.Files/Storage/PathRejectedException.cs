namespace SafeWire.Files.Storage;

/// <summary>Why a requested path was refused by the <see cref="RootJail"/>.</summary>
internal enum PathRejection
{
    /// <summary>A NUL character (would truncate the path in the operating system).</summary>
    NulCharacter,
    /// <summary>A control character (C0/C1, DEL) or a bidirectional-override character that disguises a name.</summary>
    ControlCharacter,
    /// <summary>A backslash: a separator on Windows, refused so a name never means different paths on different systems.</summary>
    Backslash,
    /// <summary>A lone UTF-16 surrogate: not a valid Unicode string.</summary>
    InvalidUnicode,
    /// <summary>A name made of dot look-alikes (U+FF0E U+FF0E, U+2025) or containing a slash look-alike (U+2215, U+FF0F).</summary>
    UnicodeLookalike,
    /// <summary>A Windows device name (CON, NUL, COM1, LPT1, …) or a name ending in a dot or space.</summary>
    DeviceName,
    /// <summary>".." that would climb above the root.</summary>
    EscapesRoot,
    /// <summary>A symbolic link whose target lies outside the root, or a link loop.</summary>
    SymlinkEscape,
    /// <summary>A name SafeWire keeps for itself (partial uploads).</summary>
    Reserved,
    /// <summary>A name or path longer than the limits.</summary>
    TooLong,
}

/// <summary>A client-supplied path was refused; <see cref="Reason"/> says why.</summary>
internal sealed class PathRejectedException : IOException
{
    public PathRejectedException(PathRejection reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public PathRejection Reason { get; }
}
