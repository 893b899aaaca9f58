using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Identity;

/// <summary>Certificates as PEM files ("CERTIFICATE" blocks; DER is accepted on read).</summary>
public static class CertificateFile
{
    /// <summary>Reads the first certificate of a PEM (or DER) file.</summary>
    public static X509Certificate2 Read(string path) => ReadAll(path)[0];

    /// <summary>Reads every certificate of a PEM file, in order (a chain is leaf first).</summary>
    public static List<X509Certificate2> ReadAll(string path)
    {
        var raw = SecureFile.ReadAll(path, "certificate");
        if (raw.Length > 0 && raw[0] == 0x30)
        {
            return [Load(path, raw)]; // DER
        }

        var blocks = PemFile.ReadBlocks(path, "certificate");
        var certificates = new List<X509Certificate2>();
        foreach (var block in blocks)
        {
            if (block.Label == "CERTIFICATE")
            {
                certificates.Add(Load(path, block.Der));
            }
            else if (block.Label.EndsWith("PRIVATE KEY", StringComparison.Ordinal))
            {
                CryptographicOperations.ZeroMemory(block.Der);
                throw new IdentityFileException(IdentityFileError.WrongContent, path, $"{path}: holds a private key, not a certificate");
            }
            else
            {
                throw new IdentityFileException(IdentityFileError.WrongContent, path, $"{path}: holds a \"{block.Label}\", not a certificate");
            }
        }

        return certificates;
    }

    /// <summary>Writes <paramref name="certificate"/> as PEM to <paramref name="path"/> (replacing the file atomically).</summary>
    public static void Write(string path, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        SecureFile.Write(path, PemFile.Encode("CERTIFICATE", certificate.RawData), secret: false);
    }

    private static X509Certificate2 Load(string path, byte[] der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: not a valid X.509 certificate ({e.Message.TrimEnd('.')})", e);
        }
    }
}
