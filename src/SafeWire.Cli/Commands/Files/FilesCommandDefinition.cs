using System.CommandLine;

namespace SafeWire.Cli.Commands.Files;

/// <summary><c>safewire files serve|ls|get|put|rm|mkdir</c>: file transfer over SafeWire.</summary>
internal static class FilesCommandDefinition
{
    public const int DefaultPort = 7022;

    public static readonly Option<DirectoryInfo> Root = new("--root") { Description = "Directory to serve (clients cannot leave it)", Required = true };

    public static readonly Option<string> Host = new("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };

    public static readonly Option<int> Port = new("--port") { Description = "Port to listen on; 0 picks a free port", DefaultValueFactory = _ => DefaultPort };

    public static readonly Option<FileInfo?> Allow = new("--allow") { Description = "Allow-list of client keys (default: the home's allowed.txt; add keys with safewire allow add)" };

    public static readonly Option<bool> ReadOnly = new("--read-only") { Description = "Clients may list and download, not change anything" };

    public static readonly Option<double> PartialMaxAge = new("--partial-max-age") { Description = "Hours after which an interrupted upload's partial file (kept for resuming) is deleted", DefaultValueFactory = _ => 24 };

    public static readonly Option<long?> PartialQuota = new("--partial-quota") { Description = "Most mebibytes unfinished uploads may hold together (partial files kept for resuming, and uploads running); default: no limit", HelpName = "MIB" };

    public static readonly Option<string?> As = new("--as") { Description = "Use the identity NAME of this home (keys/NAME.key) instead of the default one" };

    public static readonly Argument<string> Server = new("HOST:PORT") { Description = $"The file server (port {DefaultPort} if omitted)" };

    public static readonly Argument<string?> RemoteOptional = new("PATH") { Description = "Remote path", Arity = ArgumentArity.ZeroOrOne };

    public static readonly Argument<string> Remote = new("REMOTE") { Description = "Remote path" };

    public static readonly Argument<string?> LocalOptional = new("LOCAL") { Description = "Local path (default: the remote name in the current directory)", Arity = ArgumentArity.ZeroOrOne };

    public static readonly Argument<string> Local = new("LOCAL") { Description = "Local file or directory" };

    public static readonly Argument<string?> RemoteTarget = new("REMOTE") { Description = "Remote path (default: /NAME; a folder, or a path ending in /, receives the file under its own name, like scp)", Arity = ArgumentArity.ZeroOrOne };

    public static readonly Option<bool> Recursive = new("-r", "--recursive") { Description = "Transfer a directory tree" };

    public static Command Create()
    {
        var serve = new Command("serve", "Serve a directory to allow-listed SafeWire clients") { Root, Host, Port, Allow, ReadOnly, PartialMaxAge, PartialQuota, SuiteOption.Server, Trust.ServerNames.DnsOption };
        Trust.TrustCommandDefinitions.FilesServeCaPassword.AddTo(serve);
        serve.SetAction((parse, ct) => FilesServeCommand.RunAsync(parse, ct));

        var ls = new Command("ls", "List a remote directory") { Server, RemoteOptional, As, SuiteOption.Client };
        Trust.FirstContact.AddTo(ls);
        ls.SetAction((parse, ct) => FilesClientCommands.ListAsync(parse, ct));

        var get = new Command("get", "Download a file or, with -r, a directory tree (resumes, verifies SHA-256)") { Server, Remote, LocalOptional, Recursive, As, SuiteOption.Client };
        Trust.FirstContact.AddTo(get);
        get.SetAction((parse, ct) => FilesClientCommands.GetAsync(parse, ct));

        var put = new Command("put", "Upload a file or, with -r, a directory tree (resumes, verifies SHA-256)") { Server, Local, RemoteTarget, Recursive, As, SuiteOption.Client };
        Trust.FirstContact.AddTo(put);
        put.SetAction((parse, ct) => FilesClientCommands.PutAsync(parse, ct));

        var rm = new Command("rm", "Remove a remote file or empty directory") { Server, Remote, As, SuiteOption.Client };
        Trust.FirstContact.AddTo(rm);
        rm.SetAction((parse, ct) => FilesClientCommands.SimpleAsync(parse, remove: true, ct));

        var mkdir = new Command("mkdir", "Create a remote directory") { Server, Remote, As, SuiteOption.Client };
        Trust.FirstContact.AddTo(mkdir);
        mkdir.SetAction((parse, ct) => FilesClientCommands.SimpleAsync(parse, remove: false, ct));

        return new Command("files", "Encrypted file transfer over SafeWire, with resume and SHA-256 verification") { serve, ls, get, put, rm, mkdir };
    }
}
