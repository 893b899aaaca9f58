using System.CommandLine;
using SafeWire.Identity;

namespace SafeWire.Cli.Commands.Cert;

internal static class CertCommandDefinition
{
    public static readonly Argument<string> IssueName = new("NAME") { Description = "Subject name (CN); files NAME.crt and NAME.key" };
    public static readonly Option<bool> Server = new("--server") { Description = "A server certificate (serverAuth; SANs from --dns/--ip, default --dns NAME)" };
    public static readonly Option<bool> Client = new("--client") { Description = "A client certificate (clientAuth; CN = NAME)" };
    public static readonly Option<string[]> Dns = new("--dns") { Description = "A DNS subjectAltName (repeatable)", HelpName = "HOST" };
    public static readonly Option<string[]> Ip = new("--ip") { Description = "An IP address subjectAltName (repeatable)", HelpName = "ADDRESS" };
    public static readonly Option<int> Days = new("--days") { Description = "Validity in days", DefaultValueFactory = _ => CertificateAuthority.DefaultLeafDays };
    public static readonly Option<DirectoryInfo?> Out = new("--out") { Description = "Output directory (default <home>/certs)", HelpName = "DIR" };
    public static readonly Option<bool> Rsa = new("--rsa") { Description = "RSA-3072 key instead of ECDSA P-256" };
    public static readonly Option<FileInfo?> Csr = new("--csr") { Description = "Sign this PKCS#10 request (PEM, e.g. from openssl req) instead of making a key; writes only NAME.crt", HelpName = "FILE" };
    public static readonly Option<bool> Force = new("--force") { Description = "Overwrite existing NAME.crt / NAME.key" };
    public static readonly PasswordOptions CaPassword = new("the CA key");
    public static readonly PasswordOptions KeyPassword = new("the new private key", "--key-password-file", "--ask-key-password");

    public static readonly Argument<string> ShowFile = new("FILE|NAME") { Description = "A certificate file (PEM or DER), or the name of a certificate in the home (certs/NAME.crt)" };

    public static readonly Option<bool> RevokeForce = new("--force") { Description = "Revoke a serial even though no certificate in this home has it (one issued from a request elsewhere)" };
    public static readonly Argument<FileInfo> VerifyFile = new("FILE") { Description = "A certificate file (PEM; leaf first, then any intermediates)" };
    public static readonly Option<string?> VerifyName = new("--name") { Description = "Also check the name: a host name or IP (server) or the client name", HelpName = "NAME" };
    public static readonly Option<string?> VerifyRole = new("--role") { Description = "server or client (default: from the certificate's extended key usage)", HelpName = "ROLE" };
    public static readonly Argument<string> RevokeTarget = new("FILE|SERIAL") { Description = "A certificate file issued by the home CA, or a serial number in hex" };
    public static readonly PasswordOptions RevokePassword = new("the CA key");

    public static Command Create()
    {
        var cert = new Command("cert", "Certificates from the home CA: issue, show, verify, revoke");

        var issue = new Command("issue", "Issue a server or client certificate (and its key) from the home CA");
        issue.Arguments.Add(IssueName);
        foreach (var option in new Option[] { Server, Client, Dns, Ip, Days, Out, Rsa, Csr, Force })
        {
            issue.Options.Add(option);
        }

        CaPassword.AddTo(issue);
        KeyPassword.AddTo(issue);
        issue.Validators.Add(result =>
        {
            if (result.GetValue(Server) == result.GetValue(Client))
            {
                result.AddError("Give exactly one of --server or --client.");
            }
        });
        issue.SetAction(parse => CertCommand.Issue(parse));
        cert.Subcommands.Add(issue);

        var show = new Command("show", "Show subject, issuer, serial, validity, SANs, usage and fingerprint");
        show.Arguments.Add(ShowFile);
        show.SetAction(parse => CertCommand.Show(parse));
        cert.Subcommands.Add(show);

        var verify = new Command("verify", "Verify against the home CA and CRL; exit code 0 only when valid");
        verify.Arguments.Add(VerifyFile);
        verify.Options.Add(VerifyName);
        verify.Options.Add(VerifyRole);
        VerifyRole.AcceptOnlyFromAmong("server", "client");
        verify.SetAction(parse => CertCommand.Verify(parse));
        cert.Subcommands.Add(verify);

        var revoke = new Command("revoke", "Revoke a certificate: add its serial to <home>/ca/crl.pem");
        revoke.Arguments.Add(RevokeTarget);
        revoke.Options.Add(RevokeForce);
        RevokePassword.AddTo(revoke);
        revoke.SetAction(parse => CertCommand.Revoke(parse));
        cert.Subcommands.Add(revoke);
        return cert;
    }
}
