using System.Globalization;
using SafeWire.Files.Storage;

namespace SafeWire.Files.Ftp;

/// <summary>File-system commands: every path goes through the root jail first.</summary>
internal sealed partial class FtpSession
{
    private string _currentDirectory = "/";
    private JailPath? _renameFrom;
    private MlstFacts _facts = MlstFacts.All;

    private JailPath Resolve(string path) => _server.Jail.Resolve(_currentDirectory, path);

    private FtpReply ChangeDirectory(string path)
    {
        var target = Resolve(path);
        if (!Directory.Exists(target.PhysicalPath))
        {
            return new FtpReply(550, "No such directory.");
        }

        _currentDirectory = target.VirtualPath;
        return new FtpReply(250, "Directory changed to " + target.VirtualPath + ".");
    }

    private FtpReply MakeDirectory(string path)
    {
        var target = Resolve(path);
        if (Path.Exists(target.PhysicalPath))
        {
            return new FtpReply(550, "Already exists.");
        }

        if (!Directory.Exists(Path.GetDirectoryName(target.PhysicalPath)))
        {
            return new FtpReply(550, "The parent directory does not exist.");
        }

        Directory.CreateDirectory(target.PhysicalPath);
        Log("created directory " + target.VirtualPath);
        return new FtpReply(257, FtpReply.QuotePath(target.VirtualPath) + " created.");
    }

    private FtpReply RemoveDirectory(string path)
    {
        var target = Resolve(path);
        if (target.IsRoot)
        {
            return new FtpReply(550, "The root cannot be removed.");
        }

        if (!Directory.Exists(target.PhysicalPath))
        {
            return new FtpReply(550, "No such directory.");
        }

        if (Directory.EnumerateFileSystemEntries(target.PhysicalPath).Any())
        {
            return new FtpReply(550, "Directory not empty.");
        }

        Directory.Delete(target.PhysicalPath);
        Log("removed directory " + target.VirtualPath);
        return new FtpReply(250, "Directory removed.");
    }

    private FtpReply Delete(string path)
    {
        var target = Resolve(path);
        if (!File.Exists(target.PhysicalPath))
        {
            return new FtpReply(550, Directory.Exists(target.PhysicalPath) ? "That is a directory; use RMD." : "No such file.");
        }

        File.Delete(target.PhysicalPath);
        Log("deleted " + target.VirtualPath);
        return new FtpReply(250, "File deleted.");
    }

    private FtpReply RenameFrom(string path)
    {
        var source = Resolve(path);
        if (source.IsRoot || !Path.Exists(source.PhysicalPath))
        {
            _renameFrom = null;
            return new FtpReply(550, "No such file or directory.");
        }

        _renameFrom = source;
        return new FtpReply(350, "Ready for RNTO.");
    }

    private FtpReply RenameTo(string path)
    {
        if (_renameFrom is not { } source)
        {
            return new FtpReply(503, "Send RNFR first.");
        }

        _renameFrom = null;
        var target = Resolve(path);
        if (target.IsRoot || !Directory.Exists(Path.GetDirectoryName(target.PhysicalPath)))
        {
            return new FtpReply(550, "The target directory does not exist.");
        }

        if (Directory.Exists(source.PhysicalPath))
        {
            if (Path.Exists(target.PhysicalPath))
            {
                return new FtpReply(550, "The target already exists.");
            }

            if (target.VirtualPath.StartsWith(source.VirtualPath + "/", StringComparison.Ordinal))
            {
                return new FtpReply(550, "A directory cannot move into itself.");
            }

            Directory.Move(source.PhysicalPath, target.PhysicalPath);
        }
        else
        {
            if (Directory.Exists(target.PhysicalPath))
            {
                return new FtpReply(550, "The target is a directory.");
            }

            File.Move(source.PhysicalPath, target.PhysicalPath, overwrite: true);
        }

        Log($"renamed {source.VirtualPath} to {target.VirtualPath}");
        return new FtpReply(250, "Renamed.");
    }

    private FtpReply Size(string path)
    {
        var target = Resolve(path);
        var file = new FileInfo(target.PhysicalPath);
        return file.Exists
            ? new FtpReply(213, file.Length.ToString(CultureInfo.InvariantCulture))
            : new FtpReply(550, "No such file.");
    }

    private FtpReply ModificationTime(string path)
    {
        var target = Resolve(path);
        var file = new FileInfo(target.PhysicalPath);
        return file.Exists
            ? new FtpReply(213, FtpListing.Timestamp(file.LastWriteTimeUtc))
            : new FtpReply(550, "No such file.");
    }

    private FtpReply MachineListSingle(string path)
    {
        var target = path.Length == 0 ? Resolve(".") : Resolve(path);
        FileSystemInfo entry = Directory.Exists(target.PhysicalPath) ? new DirectoryInfo(target.PhysicalPath) : new FileInfo(target.PhysicalPath);
        if (!entry.Exists)
        {
            return new FtpReply(550, "No such file or directory.");
        }

        // RFC 3659 §7.2: the entry line starts with one space and names the path in full.
        return new FtpReply(250, "Listing " + target.VirtualPath, [FtpListing.MlstLine(entry, target.VirtualPath, _facts, !ReadOnly)]);
    }
}
