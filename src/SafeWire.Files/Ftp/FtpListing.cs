using System.Globalization;
using System.Text;

namespace SafeWire.Files.Ftp;

/// <summary>MLST facts a client can switch on and off with OPTS MLST (RFC 3659 §7.9).</summary>
[Flags]
internal enum MlstFacts
{
    None = 0,
    Type = 1,
    Size = 2,
    Modify = 4,
    Perm = 8,
    All = Type | Size | Modify | Perm,
}

/// <summary>Formats directory entries for LIST (ls -l style), NLST (names) and MLSD/MLST (RFC 3659 facts).</summary>
internal static class FtpListing
{
    /// <summary>One "ls -l" line, the format every FTP client parses: mode, links, owner, group, size, date, name.</summary>
    public static string ListLine(FileSystemInfo entry, DateTime nowUtc)
    {
        var directory = entry is DirectoryInfo;
        var size = entry is FileInfo file ? file.Length : 0;
        var modified = entry.LastWriteTimeUtc;
        // ls shows the time for entries from the last six months, the year for older ones.
        var date = Math.Abs((nowUtc - modified).TotalDays) < 180
            ? modified.ToString("MMM dd HH:mm", CultureInfo.InvariantCulture)
            : modified.ToString("MMM dd  yyyy", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{(directory ? 'd' : '-')}{Mode(entry)} 1 ftp ftp {size,12} {date} {entry.Name}");
    }

    /// <summary>"type=file;size=N;modify=YYYYMMDDHHMMSS;perm=...; name" (the space before the name is part of the format).</summary>
    public static string MlstLine(FileSystemInfo entry, string name, MlstFacts facts, bool writable)
    {
        var builder = new StringBuilder();
        var directory = entry is DirectoryInfo;
        if (facts.HasFlag(MlstFacts.Type))
        {
            builder.Append(directory ? "type=dir;" : "type=file;");
        }

        if (facts.HasFlag(MlstFacts.Size) && entry is FileInfo file)
        {
            builder.Append("size=").Append(file.Length.ToString(CultureInfo.InvariantCulture)).Append(';');
        }

        if (facts.HasFlag(MlstFacts.Modify))
        {
            builder.Append("modify=").Append(Timestamp(entry.LastWriteTimeUtc)).Append(';');
        }

        if (facts.HasFlag(MlstFacts.Perm))
        {
            // RFC 3659 §7.5.5: e enter, l list, c create, d delete, f rename, m mkdir, p purge; a append, r read, w write.
            builder.Append("perm=").Append((directory, writable) switch
            {
                (true, true) => "cdeflmp",
                (true, false) => "el",
                (false, true) => "adfrw",
                (false, false) => "r",
            }).Append(';');
        }

        return builder.Append(' ').Append(name).ToString();
    }

    /// <summary>The RFC 3659 time-val: YYYYMMDDHHMMSS in UTC.</summary>
    public static string Timestamp(DateTime utc) => utc.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    /// <summary>Parses an OPTS MLST argument ("type;size;" or "") into the facts this server supports.</summary>
    public static MlstFacts ParseFacts(string argument)
    {
        var facts = MlstFacts.None;
        foreach (var fact in argument.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            facts |= fact.ToUpperInvariant() switch
            {
                "TYPE" => MlstFacts.Type,
                "SIZE" => MlstFacts.Size,
                "MODIFY" => MlstFacts.Modify,
                "PERM" => MlstFacts.Perm,
                _ => MlstFacts.None,
            };
        }

        return facts;
    }

    /// <summary>The fact list as FEAT and OPTS MLST print it: "type*;size*;…" with * on the enabled ones.</summary>
    public static string DescribeFacts(MlstFacts enabled, bool marked)
    {
        var builder = new StringBuilder();
        foreach (var (fact, name) in new[] { (MlstFacts.Type, "type"), (MlstFacts.Size, "size"), (MlstFacts.Modify, "modify"), (MlstFacts.Perm, "perm") })
        {
            if (marked)
            {
                builder.Append(name).Append(enabled.HasFlag(fact) ? "*;" : ";");
            }
            else if (enabled.HasFlag(fact))
            {
                builder.Append(name).Append(';');
            }
        }

        return builder.ToString();
    }

    private static string Mode(FileSystemInfo entry)
    {
        if (OperatingSystem.IsWindows())
        {
            return entry is DirectoryInfo ? "rwxr-xr-x" : "rw-r--r--";
        }

        var mode = entry.UnixFileMode;
        Span<char> chars = stackalloc char[9];
        ReadOnlySpan<(UnixFileMode Bit, char Letter)> bits =
        [
            (UnixFileMode.UserRead, 'r'), (UnixFileMode.UserWrite, 'w'), (UnixFileMode.UserExecute, 'x'),
            (UnixFileMode.GroupRead, 'r'), (UnixFileMode.GroupWrite, 'w'), (UnixFileMode.GroupExecute, 'x'),
            (UnixFileMode.OtherRead, 'r'), (UnixFileMode.OtherWrite, 'w'), (UnixFileMode.OtherExecute, 'x'),
        ];
        for (var i = 0; i < bits.Length; i++)
        {
            chars[i] = mode.HasFlag(bits[i].Bit) ? bits[i].Letter : '-';
        }

        return new string(chars);
    }
}
