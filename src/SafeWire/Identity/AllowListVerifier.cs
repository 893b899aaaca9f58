using SafeWire.Enrollment;

namespace SafeWire.Identity;

/// <summary>
/// Trust by pinned keys: the peer's public key (raw, or the key of its certificate) must be on the allow-list.
/// The file is re-read when it changes, so <c>safewire allow add/remove</c> takes effect on the next connection.
/// Certificates are not checked here: combine with <see cref="CaVerifier"/> through <see cref="AnyOfVerifier"/>.
/// </summary>
public sealed class AllowListVerifier : IPeerVerifier
{
    private static readonly AllowList s_empty = new();
    private readonly string? _path;
    private readonly FileVersionCache<AllowList>? _file;
    private readonly AllowList _list = s_empty;

    /// <summary>A verifier over a file (re-read when it changes).</summary>
    public AllowListVerifier(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _path = Path.GetFullPath(path);
        _file = new FileVersionCache<AllowList>(_path, Read);
    }

    /// <summary>A verifier over a fixed list (tests, embedded use).</summary>
    public AllowListVerifier(AllowList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        _list = new AllowList(list.Entries);
    }

    /// <summary>
    /// The command that adds <paramref name="fingerprint"/> to the list at <paramref name="path"/>: <c>safewire allow add</c>
    /// writes a home's allowed.txt, so a server running on another home needs <c>--home</c> in it, and a list of the
    /// server's own choosing (<c>--allow FILE</c>) is edited by hand.
    /// </summary>
    internal static string HowToAdd(string? path, string fingerprint)
    {
        var command = $"allow add {fingerprint} --name NAME";
        if (path is null)
        {
            return "add it with: safewire " + command;
        }

        if (!string.Equals(Path.GetFileName(path), SafeWireHome.AllowListFileName, StringComparison.Ordinal))
        {
            return $"add the line \"{fingerprint} NAME\" to that file";
        }

        var home = Path.GetDirectoryName(path)!;
        return string.Equals(home, SafeWireHome.Resolve(null).Root, StringComparison.Ordinal)
            ? "add it with: safewire " + command
            : $"add it with: safewire --home {home} {command}";
    }

    /// <inheritdoc/>
    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var fingerprint = Fingerprint.Of(credential.SubjectPublicKeyInfo);
        var entry = Current().Find(fingerprint)
            ?? throw new TrustException(TrustFailureReason.NotOnAllowList, $"The key {fingerprint} is not on the allow-list{(_path is null ? "" : " " + _path)}; {HowToAdd(_path, fingerprint)}");

        if (context.ExpectedName is { } expected && !string.Equals(expected, entry.Name, StringComparison.Ordinal))
        {
            throw new TrustException(TrustFailureReason.NameMismatch, $"The key {fingerprint} is allowed as \"{entry.Name}\", not as the expected \"{expected}\".");
        }

        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null;
        if (!credential.IsRawPublicKey)
        {
            certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(credential.CertificateChain[0]);
        }

        return new PeerIdentity(entry.Name, fingerprint, credential.SubjectPublicKeyInfo, certificate);
    }

    // A missing file is an empty list; an unreadable one refuses everyone until it is fixed.
    private AllowList Current() => _file is null ? _list : _file.Use(list => list) ?? s_empty;

    private static AllowList Read(string path)
    {
        try
        {
            return AllowList.Load(path);
        }
        catch (IdentityFileException e)
        {
            throw new TrustException(TrustFailureReason.NotOnAllowList, "The allow-list cannot be read: " + e.Message, e);
        }
    }
}
