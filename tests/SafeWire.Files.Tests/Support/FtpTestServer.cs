using System.Security.Authentication;
using SafeWire.Files.Ftp;
using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Support;

/// <summary>An in-process FTP server on free loopback ports over a temporary root, with two users.</summary>
public sealed class FtpTestServer : IAsyncDisposable
{
    public const string Writer = "alice";
    public const string WriterPassword = "wonderland-42";
    public const string Reader = "bob";
    public const string ReaderPassword = "builder-7";

    private readonly TempDirectory _directory;
    private readonly FtpServer _server;
    private readonly List<string> _log;

    private FtpTestServer(FtpServer server, TempDirectory directory, string root, List<string> log)
    {
        _server = server;
        _directory = directory;
        Root = root;
        _log = log;
    }

    public string Root { get; }

    public int Port => _server.ExplicitEndPoint!.Port;

    /// <summary>The server's admission state (drops and refusals of control connections).</summary>
    public SafeWire.Transport.ConnectionAdmission Admission => _server.Admission;

    public int ImplicitPort => _server.ImplicitEndPoint!.Port;

    public string Log
    {
        get { lock (_log) { return string.Join('\n', _log); } }
    }

    /// <summary>The users file the server was started with (alice and bob).</summary>
    public string UsersFile => _directory["users.txt"];

    /// <summary>A scratch folder next to the served root (for client-side files).</summary>
    public string Scratch(string name)
    {
        var path = _directory[name];
        Directory.CreateDirectory(path);
        return path;
    }

    public static FtpTestServer Start(bool allowPlain = false, SslProtocols protocols = SslProtocols.Tls12, Func<FtpServerOptions, FtpServerOptions>? adjust = null, bool requireTlsSessionReuse = true, TimeSpan? loginBackoff = null, TimeProvider? clock = null)
    {
        var directory = new TempDirectory();
        var root = directory["root"];
        Directory.CreateDirectory(root);
        var users = directory["users.txt"];
        // Few PBKDF2 iterations keep tests fast; the CLI uses FtpUserStore.DefaultIterations.
        FtpUserStore.AddOrReplace(users, Writer, WriterPassword, readOnly: false, iterations: 1000);
        FtpUserStore.AddOrReplace(users, Reader, ReaderPassword, readOnly: true, iterations: 1000);
        var log = new List<string>();
        var options = new FtpServerOptions
        {
            Root = root,
            Port = 0,
            ImplicitPort = 0,
            Certificate = TestCertificates.Shared.Server,
            CertificateChain = [TestCertificates.Shared.Ca],
            AllowPlain = allowPlain,
            TlsProtocols = protocols,
            RequireTlsSessionReuse = requireTlsSessionReuse,
            Users = FtpUserStore.Load(users),
            FailedLoginDelay = TimeSpan.FromMilliseconds(10),
            // Off unless a test is about it: login backoff across connections would make other tests wait.
            LoginBackoff = loginBackoff ?? TimeSpan.Zero,
            TimeProvider = clock ?? TimeProvider.System,
            DataTimeout = TimeSpan.FromSeconds(20),
            Log = line => { lock (log) { log.Add(line); } },
        };
        var server = new FtpServer(adjust?.Invoke(options) ?? options);
        server.Start();
        return new FtpTestServer(server, directory, root, log);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }
}
