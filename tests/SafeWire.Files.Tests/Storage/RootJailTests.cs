using SafeWire.Files.Storage;
using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Storage;

public sealed class RootJailTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _root;
    private readonly RootJail _jail;

    public RootJailTests()
    {
        _root = _dir["root"];
        Directory.CreateDirectory(Path.Combine(_root, "sub", "deeper"));
        File.WriteAllText(Path.Combine(_root, "sub", "file.txt"), "inside");
        File.WriteAllText(_dir["secret.txt"], "outside");
        File.CreateSymbolicLink(Path.Combine(_root, "out-file"), _dir["secret.txt"]);
        Directory.CreateSymbolicLink(Path.Combine(_root, "out-dir"), _dir.Path);
        Directory.CreateSymbolicLink(Path.Combine(_root, "in-dir"), Path.Combine(_root, "sub"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "sub", "relative-out"), "../..");
        File.CreateSymbolicLink(Path.Combine(_root, "loop-a"), Path.Combine(_root, "loop-b"));
        File.CreateSymbolicLink(Path.Combine(_root, "loop-b"), Path.Combine(_root, "loop-a"));
        _jail = new RootJail(_root);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("/", "sub/file.txt", "/sub/file.txt")]
    [InlineData("/sub", "file.txt", "/sub/file.txt")]
    [InlineData("/sub", "/sub/./deeper/../file.txt", "/sub/file.txt")]
    [InlineData("/sub/deeper", "..", "/sub")]
    [InlineData("/", "//sub//deeper/", "/sub/deeper")]
    [InlineData("/", "in-dir/file.txt", "/in-dir/file.txt")]
    [InlineData("/", "new-name.bin", "/new-name.bin")]
    public void Paths_inside_resolve(string current, string requested, string expected)
    {
        var path = _jail.Resolve(current, requested);
        Assert.Equal(expected, path.VirtualPath);
        Assert.StartsWith(_jail.Root, path.PhysicalPath, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/", "..", PathRejection.EscapesRoot)]
    [InlineData("/", "../secret.txt", PathRejection.EscapesRoot)]
    [InlineData("/sub", "../../secret.txt", PathRejection.EscapesRoot)]
    [InlineData("/", "/../../etc/passwd", PathRejection.EscapesRoot)]
    [InlineData("/", "out-file", PathRejection.SymlinkEscape)]
    [InlineData("/", "out-dir/secret.txt", PathRejection.SymlinkEscape)]
    [InlineData("/", "out-dir", PathRejection.SymlinkEscape)]
    [InlineData("/", "sub/relative-out/secret.txt", PathRejection.SymlinkEscape)]
    [InlineData("/", "loop-a", PathRejection.SymlinkEscape)]
    [InlineData("/", "a\0b", PathRejection.NulCharacter)]
    [InlineData("/", "file.txt\0.jpg", PathRejection.NulCharacter)]
    [InlineData("/", "line\nbreak", PathRejection.ControlCharacter)]
    [InlineData("/", "evil\u202Etxt.exe", PathRejection.ControlCharacter)]
    [InlineData("/", "..\\secret.txt", PathRejection.Backslash)]
    [InlineData("/", "\uFF0E\uFF0E/secret.txt", PathRejection.UnicodeLookalike)] // fullwidth full stops: NFKC ".."
    [InlineData("/", "a\u2215..\u2215b", PathRejection.UnicodeLookalike)] // division slash
    [InlineData("/", "\uFF0Fetc", PathRejection.UnicodeLookalike)] // fullwidth solidus
    [InlineData("/", "CON", PathRejection.DeviceName)]
    [InlineData("/", "nul.txt", PathRejection.DeviceName)]
    [InlineData("/", "com1", PathRejection.DeviceName)]
    [InlineData("/", "LPT9.log", PathRejection.DeviceName)]
    [InlineData("/", "trailing.", PathRejection.DeviceName)]
    [InlineData("/", ".x.safewire-part", PathRejection.Reserved)]
    public void Escapes_and_odd_names_are_refused(string current, string requested, object reason) // object: PathRejection is internal
    {
        var error = Assert.Throws<PathRejectedException>(() => _jail.Resolve(current, requested));
        Assert.Equal((PathRejection)reason, error.Reason);
    }

    [Fact]
    public void Lone_surrogates_are_refused()
    {
        // Built at run time: attribute arguments cannot carry an invalid UTF-16 string.
        var name = "bad" + (char)0xD800 + "name";
        Assert.Equal(PathRejection.InvalidUnicode, Assert.Throws<PathRejectedException>(() => _jail.Resolve(name)).Reason);
    }

    [Fact]
    public void Overlong_names_are_refused()
    {
        Assert.Equal(PathRejection.TooLong, Assert.Throws<PathRejectedException>(() => _jail.Resolve(new string('a', 256))).Reason);
        Assert.Equal(PathRejection.TooLong, Assert.Throws<PathRejectedException>(() => _jail.Resolve(string.Concat(Enumerable.Repeat("a/", 3000)))).Reason);
    }

    [Theory]
    [InlineData("caf\u00E9.txt")]
    [InlineData("cafe\u0301.txt")]
    [InlineData("\u65E5\u672C\u8A9E.txt")]
    [InlineData("...hidden")]
    [InlineData("name with spaces")]
    public void Ordinary_unicode_names_are_kept_as_sent(string name)
    {
        Assert.Equal("/" + name, _jail.Resolve(name).VirtualPath);
    }

    [Theory]
    [InlineData("\u2025")] // two dot leader: NFKC ".."
    [InlineData(".\uFF0E")]
    [InlineData("a\uFF3Cb")] // fullwidth reverse solidus
    public void More_lookalikes_are_refused(string name)
    {
        Assert.Equal(PathRejection.UnicodeLookalike, Assert.Throws<PathRejectedException>(() => _jail.Resolve(name)).Reason);
    }

    [Fact]
    public void A_root_reached_through_a_symlink_still_works()
    {
        var link = _dir["root-link"];
        Directory.CreateSymbolicLink(link, _root);
        var jail = new RootJail(link);
        Assert.Equal("/sub/file.txt", jail.Resolve("sub/file.txt").VirtualPath);
        Assert.Throws<PathRejectedException>(() => jail.Resolve("out-file"));
    }
}
