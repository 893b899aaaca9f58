using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Identity;

/// <summary>One decoded PEM block: its label and DER bytes (which the owner zeroes when they are secret).</summary>
internal readonly record struct PemBlock(string Label, byte[] Der);

/// <summary>Reads PEM files block by block, with errors that say which file and what is wrong.</summary>
internal static class PemFile
{
    /// <summary>All PEM blocks of a file, in order. Throws Corrupt when there is none or one is damaged.</summary>
    public static List<PemBlock> ReadBlocks(string path, string what)
    {
        var bytes = SecureFile.ReadAll(path, what);
        char[]? chars = null;
        try
        {
            chars = ArrayPool<char>.Shared.Rent(bytes.Length);
            var length = Encoding.UTF8.GetChars(bytes, chars);
            return Decode(chars.AsSpan(0, length), path, what);
        }
        catch (DecoderFallbackException e)
        {
            throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: not a PEM {what} file (binary content)", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            if (chars is not null)
            {
                chars.AsSpan().Clear();
                ArrayPool<char>.Shared.Return(chars);
            }
        }
    }

    public static List<PemBlock> Decode(ReadOnlySpan<char> text, string path, string what)
    {
        var blocks = new List<PemBlock>();
        var rest = text;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            var der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out var written) || written != der.Length)
            {
                throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: corrupt PEM block \"{label}\"");
            }

            blocks.Add(new PemBlock(label, der));
            rest = rest[fields.Location.End..];
        }

        if (blocks.Count == 0)
        {
            var hint = text.IndexOf("-----BEGIN", StringComparison.Ordinal) >= 0
                ? "a PEM block is corrupt or truncated"
                : "no PEM block found";
            throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: not a valid PEM {what} file ({hint})");
        }

        // Text after the last block that still starts a block means the file was cut short.
        if (rest.IndexOf("-----BEGIN", StringComparison.Ordinal) >= 0)
        {
            throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: a PEM block is corrupt or truncated");
        }

        return blocks;
    }

    /// <summary>PEM text as UTF-8 bytes; the intermediate characters are cleared.</summary>
    public static byte[] Encode(string label, ReadOnlySpan<byte> der)
    {
        var chars = PemEncoding.Write(label, der);
        try
        {
            var bytes = new byte[Encoding.ASCII.GetByteCount(chars) + 1];
            Encoding.ASCII.GetBytes(chars, bytes);
            bytes[^1] = (byte)'\n';
            return bytes;
        }
        finally
        {
            chars.AsSpan().Clear();
        }
    }
}
