using System.CommandLine;
using System.Net;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Trust;

/// <summary>The certificate every server verb presents (auto-issued by the home CA) and the CA password its joins sign with.</summary>
internal static class ServerCredentials
{
    /// <summary>
    /// Loads the server credential <paramref name="name"/>, or issues it for <paramref name="dnsNames"/> and the
    /// addresses of <paramref name="bound"/>, reading the CA key's password from <paramref name="caPassword"/>.
    /// Returns the credential and that password (null when none was given) for the join handler. An encrypted CA key
    /// without a password ends in <paramref name="error"/>'s exception, saying which options give it.
    /// </summary>
    public static (LocalCredential Credential, string? CaPassword) Load(
        SafeWireHome home, ParseResult parse, PasswordOptions caPassword, string name, IEnumerable<string> dnsNames, IPAddress bound, Func<string, Exception> error)
    {
        ArgumentNullException.ThrowIfNull(home);
        ArgumentNullException.ThrowIfNull(caPassword);
        ArgumentNullException.ThrowIfNull(error);
        var password = caPassword.Read(parse, confirm: false);
        try
        {
            var credential = home.LoadOrCreateServerCredential(name, dnsNames, ServerNames.Addresses(bound), password);
            return (credential, password.Length == 0 ? null : new string(password));
        }
        catch (IdentityFileException e) when (e.Error == IdentityFileError.PasswordRequired)
        {
            throw error($"{e.FilePath}: the home CA's key is encrypted; give its password with {caPassword.File.Name} FILE or {caPassword.Ask.Name}");
        }
        finally
        {
            password.AsSpan().Clear();
        }
    }
}
