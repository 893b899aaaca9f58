using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SafeWire.Identity;
using SafeWire.Voting;

namespace SafeWire.Fuzz;

/// <summary>
/// Files an outsider can hand a user: PEM keys and certificates, allow-lists, CRLs, voter credentials, vote
/// receipts and voter registries. Each input is written to one scratch file and read by every loader.
/// </summary>
public sealed class IdentityFilesTarget : FuzzTarget, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("safewire-fuzz-files-").FullName;
    private readonly string _path;

    public IdentityFilesTarget()
    {
        _path = Path.Combine(_directory, "input");
    }

    public override string Name => "identity-files";

    public override IReadOnlyList<byte[]> Seeds { get; } = Build();

    // Reading a file, PEM/Base64 and JSON decoding and X.509 parsing: a bounded multiple of the input.
    public override long AllocationLimit(int inputLength) => (1L * 1024 * 1024) + (64L * inputLength);

    public override void Run(byte[] input, StepCounter steps)
    {
        File.WriteAllBytes(_path, input);
        Try(steps, () => KeyFile.Describe(_path));
        Try(steps, () => KeyFile.ReadPrivateKey(_path).Dispose());
        Try(steps, () =>
        {
            foreach (var certificate in CertificateFile.ReadAll(_path))
            {
                certificate.Dispose();
            }
        });
        Try(steps, () => AllowList.Parse(Encoding.UTF8.GetString(input), "input"));
        Try(steps, () => RevocationList.Read(_path));
        Try(steps, () => RevocationList.Parse("input", input));
        Try(steps, () =>
        {
            var credential = VoterCredential.Load(_path);
            credential.LoadPrivateKey().Dispose();
            credential.LoadElectionKey().Dispose();
            credential.LoadReceiptKey().Dispose();
        });
        Try(steps, () => ReceiptFile.Load(_path).ToReceipt());
        Try(steps, () => VoterRegistry.Load(_path));
    }

    public override int StepLimit(int inputLength) => 16;

    public override bool IsTypedError(Exception exception) => false;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static void Try(StepCounter steps, Action load)
    {
        steps.Step();
        try
        {
            load();
        }
        catch (Exception e) when (e is IdentityFileException or VotingException or TrustException)
        {
            // The typed refusal of a damaged file.
        }
    }

    private static byte[][] Build()
    {
        using var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Convert.FromHexString("0f3d5b1a2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f702") });
        using var rsa = RSA.Create(2048);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var request = new CertificateRequest("CN=fuzz ca", ec, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var ca = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        var crl = new CertificateRevocationListBuilder();
        crl.AddEntry([1, 2, 3], now);
        var crlDer = crl.Build(ca, 1, now.AddDays(7), HashAlgorithmName.SHA256, null, now);
        string credential = $$"""
            {
              "format": "{{VoterCredential.FormatName}}",
              "election": "election",
              "voterId": "voter-1",
              "privateKey": "{{Escape(ec.ExportPkcs8PrivateKeyPem())}}",
              "electionKey": "{{Escape(rsa.ExportSubjectPublicKeyInfoPem())}}",
              "receiptKey": "{{Escape(ec.ExportSubjectPublicKeyInfoPem())}}"
            }
            """;
        string receipt = $$"""
            {
              "format": "{{ReceiptFile.FormatName}}",
              "election": "election",
              "voterId": "voter-1",
              "sequence": 3,
              "ballotHash": "{{new string('a', 64)}}",
              "boardHead": "{{new string('b', 64)}}",
              "signature": "{{Convert.ToBase64String(new byte[64])}}",
              "receiptKey": "{{Escape(ec.ExportSubjectPublicKeyInfoPem())}}",
              "server": "127.0.0.1:4000"
            }
            """;
        return
        [
            Encoding.ASCII.GetBytes(ec.ExportPkcs8PrivateKeyPem()),
            Encoding.ASCII.GetBytes(ec.ExportECPrivateKeyPem()),
            Encoding.ASCII.GetBytes(rsa.ExportRSAPrivateKeyPem()),
            Encoding.ASCII.GetBytes(ec.ExportSubjectPublicKeyInfoPem()),
            Encoding.ASCII.GetBytes(ca.ExportCertificatePem()),
            Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", crlDer)),
            crlDer,
            Encoding.UTF8.GetBytes("# allowed clients\nSHA256:Wnp4zKSg9CDZvGK7Zpw8J1njn3I9OuENy+DwgVoH7NQ alice laptop\n"),
            Encoding.UTF8.GetBytes(credential),
            Encoding.UTF8.GetBytes(receipt),
            Encoding.UTF8.GetBytes($"# voters\nvoter-1,{Fingerprint.Of(ec.ExportSubjectPublicKeyInfo())},{Convert.ToBase64String(ec.ExportSubjectPublicKeyInfo())}\n"),
        ];
    }

    private static string Escape(string pem) => pem.Replace("\n", "\\n", StringComparison.Ordinal);
}
