using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>What a client verb does when it meets a server this home has no trust for yet.</summary>
internal enum FirstContactMode
{
    /// <summary>On a terminal: show the server's key and names and ask.</summary>
    Ask,

    /// <summary>No terminal and no option: refuse, saying what to do.</summary>
    Refuse,

    /// <summary><c>--trust-on-first-use</c>: accept the key and remember it.</summary>
    TrustOnFirstUse,

    /// <summary><c>--fingerprint SHA256:…</c>: accept only that key and remember it.</summary>
    Fingerprint,
}

/// <summary>A server met for the first time: what the user is shown before trusting it.</summary>
/// <param name="Host">HOST:PORT as dialled.</param>
/// <param name="Fingerprint">Its key, <c>SHA256:…</c> (as <c>safewire id</c> prints keys).</param>
/// <param name="Names">The names its certificate carries (subject CN, then DNS names and addresses); empty for a bare key.</param>
internal sealed record UnknownServer(string Host, string Fingerprint, IReadOnlyList<string> Names)
{
    /// <summary>"names a, b" or "presents a bare key (no certificate)".</summary>
    public string DescribeNames() => Names.Count == 0 ? "presents a bare key, no certificate" : "its certificate names " + string.Join(", ", Names);
}

/// <summary>
/// The one decision every client verb makes about a server: trusted by a CA this home holds (<paramref name="trusted"/>),
/// else by its key recorded in known_hosts (a different key is "THE KEY OF host HAS CHANGED"), else this is first
/// contact, decided by the mode: <c>--trust-on-first-use</c> records the key, <c>--fingerprint</c> records it only when
/// it is that key, and otherwise the connection is refused and the server remembered in <see cref="Unknown"/>, so that
/// <see cref="FirstContact.ConnectAsync{T}"/> can ask on a terminal and connect again (a server does not wait while a
/// person reads a fingerprint).
/// </summary>
internal sealed class FirstContactVerifier(IPeerVerifier? trusted, KnownHostsVerifier knownHosts, int port, FirstContactMode mode, string? fingerprint) : IPeerVerifier
{
    private UnknownServer? _unknown;
    private bool _answered;

    /// <summary>How first contact is decided now (a "yes" on the terminal turns it into <see cref="FirstContactMode.Fingerprint"/>).</summary>
    public FirstContactMode Mode { get; private set; } = mode;

    /// <summary>The key a "yes" or <c>--fingerprint</c> accepts.</summary>
    public string? ExpectedFingerprint { get; private set; } = fingerprint;

    /// <summary>The server last refused because it was unknown, or null.</summary>
    public UnknownServer? Unknown => Volatile.Read(ref _unknown);

    /// <summary>Accept exactly this key at the next connection (after the user said yes to it).</summary>
    public void Accept(string key)
    {
        ExpectedFingerprint = key;
        Mode = FirstContactMode.Fingerprint;
        _answered = true;
        Volatile.Write(ref _unknown, null);
    }

    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        ArgumentNullException.ThrowIfNull(credential);
        if (trusted is not null)
        {
            try
            {
                return trusted.Verify(credential, context);
            }
            catch (TrustException e) when (e.Reason == TrustFailureReason.Revoked)
            {
                throw;
            }
            catch (TrustException)
            {
                // Not from a CA this home trusts: the key alone decides, as for any server.
            }
        }

        var host = context.ExpectedName
            ?? throw new TrustException(TrustFailureReason.UnknownKey, "Trusting a server by its key needs the host name the client dialled.");
        if (knownHosts.Lookup(host) is not null)
        {
            return knownHosts.Verify(credential, context); // the same key, or "THE KEY OF … HAS CHANGED"
        }

        var key = Identity.Fingerprint.Of(credential.SubjectPublicKeyInfo);
        var dialled = host + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (Mode)
        {
            case FirstContactMode.TrustOnFirstUse:
                return knownHosts.Verify(credential, context);
            case FirstContactMode.Fingerprint when ExpectedFingerprint is { } expected:
                if (Same(expected, key))
                {
                    return knownHosts.Verify(credential, context);
                }

                throw new TrustException(TrustFailureReason.UnknownKey,
                    _answered
                        ? $"the server at {dialled} now presents the key {key}, not {expected} that you accepted; someone else may be answering at that address. Nothing was recorded."
                        : $"the server at {dialled} presents the key {key}, not {expected} given with --fingerprint; someone else may be answering at that address, or the fingerprint was copied wrong. Nothing was recorded.");
            default:
                Volatile.Write(ref _unknown, new UnknownServer(dialled, key, Names(credential)));
                throw new TrustException(TrustFailureReason.UnknownKey, $"the server at {dialled} is not known to this home (its key is {key})");
        }
    }

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b));

    private static List<string> Names(PeerCredential credential)
    {
        if (credential.IsRawPublicKey)
        {
            return [];
        }

        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(credential.CertificateChain[0]);
            var names = new List<string> { HomeIdentity.CommonName(certificate) };
            foreach (var name in CaVerifier.SubjectAltNames(certificate))
            {
                if (!names.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    names.Add(name);
                }
            }

            return names;
        }
        catch (CryptographicException)
        {
            return [];
        }
    }
}

/// <summary>
/// First contact with a server, as ssh does it: the options every client verb shares, the verifier they build from
/// them, and the prompt. On a terminal the server's key fingerprint and names are shown and the user is asked
/// "Trust this server and remember it? [y/N]"; without one the connection is refused with one line saying what to
/// do, unless <c>--trust-on-first-use</c> or <c>--fingerprint SHA256:…</c> was given.
/// </summary>
internal static class FirstContact
{
    /// <summary>The question asked on a terminal.</summary>
    public const string Question = "Trust this server and remember it? [y/N]";

    /// <summary><c>--trust-on-first-use</c>.</summary>
    public static readonly Option<bool> TrustOnFirstUse = new("--trust-on-first-use")
    {
        Description = "A server this home has never seen: trust its key without asking and remember it in known_hosts (scripts, on a network you trust)",
    };

    /// <summary><c>--fingerprint SHA256:…</c>.</summary>
    public static readonly Option<string?> Fingerprint = new("--fingerprint")
    {
        Description = "A server this home has never seen: accept only this key (SHA256:…, as the server printed it) and remember it in known_hosts",
        HelpName = "SHA256:…",
    };

    /// <summary>Adds both options to a client verb.</summary>
    public static void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(TrustOnFirstUse);
        command.Options.Add(Fingerprint);
    }

    /// <summary>
    /// The server verifier for HOST:PORT when the home did not join it: this home's CA (when it has one), else the key
    /// recorded in known_hosts, else first contact as the options and the console decide.
    /// </summary>
    public static FirstContactVerifier Verifier(ParseResult parse, SafeWireHome home, int port)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(home);
        var tofu = parse.GetValue(TrustOnFirstUse);
        var fingerprint = parse.GetValue(Fingerprint)?.Trim();
        if (tofu && fingerprint is not null)
        {
            throw new CliException("give --trust-on-first-use or --fingerprint, not both");
        }

        if (fingerprint is not null && !AllowList.IsFingerprint(fingerprint))
        {
            throw new CliException($"--fingerprint {fingerprint}: expected SHA256: followed by 43 base64 characters, as the server prints its key");
        }

        var mode = tofu ? FirstContactMode.TrustOnFirstUse
            : fingerprint is not null ? FirstContactMode.Fingerprint
            : CliConsole.IsTerminal ? FirstContactMode.Ask
            : FirstContactMode.Refuse;
        return new FirstContactVerifier(home.HasCa ? home.CreateCaVerifier() : null, home.CreateKnownHostsVerifier(port), port, mode, fingerprint);
    }

    /// <summary>
    /// Runs <paramref name="connect"/>; when it failed only because the server is unknown, asks on a terminal and
    /// connects again accepting exactly the key shown, or refuses (no terminal, or the answer was no) with one line
    /// made into an exception by <paramref name="refuse"/>.
    /// </summary>
    public static async Task<T> ConnectAsync<T>(IPeerVerifier verifier, Func<Task<T>> connect, Func<string, Exception> refuse)
    {
        ArgumentNullException.ThrowIfNull(connect);
        ArgumentNullException.ThrowIfNull(refuse);
        if (verifier is not FirstContactVerifier first)
        {
            return await connect().ConfigureAwait(false);
        }

        UnknownServer unknown;
        try
        {
            return await connect().ConfigureAwait(false);
        }
        catch (Exception) when (first.Unknown is not null)
        {
            unknown = first.Unknown;
        }

        if (first.Mode != FirstContactMode.Ask)
        {
            throw refuse($"the server at {unknown.Host} is not known to this home: its key is {unknown.Fingerprint} and {unknown.DescribeNames()}. " +
                $"If that is the key the server printed, connect again with --fingerprint {unknown.Fingerprint} (or join it with a code from safewire invite, or --trust-on-first-use on a network you trust)");
        }

        if (!Ask(unknown))
        {
            throw refuse($"not connected: the server at {unknown.Host} ({unknown.Fingerprint}) was not trusted; nothing was recorded");
        }

        first.Accept(unknown.Fingerprint);
        return await connect().ConfigureAwait(false);
    }

    /// <summary>Shows the server and asks; true for "y" or "yes".</summary>
    private static bool Ask(UnknownServer unknown)
    {
        var error = CliConsole.Error;
        error.WriteLine($"The server at {unknown.Host} is not known to this home.");
        error.WriteLine($"Its key fingerprint is {unknown.Fingerprint}");
        error.WriteLine(unknown.Names.Count == 0 ? "It presents a bare key, no certificate." : $"Its certificate names: {string.Join(", ", unknown.Names)}");
        error.WriteLine("Compare it with the key fingerprint the server printed when it started (ask its admin).");
        error.Write(Question + " ");
        error.Flush();
        var answer = CliConsole.In.ReadLine()?.Trim();
        return string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
    }
}
