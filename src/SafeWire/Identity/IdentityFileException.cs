namespace SafeWire.Identity;

/// <summary>What was wrong with a key, certificate, CRL or list file.</summary>
public enum IdentityFileError
{
    /// <summary>The file does not exist.</summary>
    NotFound,
    /// <summary>Not valid PEM/DER: corrupt, truncated, or not a PEM file at all.</summary>
    Corrupt,
    /// <summary>An encrypted private key could not be decrypted with the password given.</summary>
    WrongPassword,
    /// <summary>An encrypted private key was found but no password was given.</summary>
    PasswordRequired,
    /// <summary>The file holds something else than expected (a key where a certificate belongs, ...).</summary>
    WrongContent,
    /// <summary>A key algorithm SafeWire does not support (only ECDSA and RSA are).</summary>
    UnsupportedAlgorithm,
}

/// <summary>A key, certificate, CRL or list file could not be used. The message names the file and says why.</summary>
public sealed class IdentityFileException : Exception
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>; <paramref name="message"/> is shown to the user.</summary>
    public IdentityFileException(IdentityFileError error, string path, string message)
        : base(message)
    {
        Error = error;
        FilePath = path;
    }

    /// <summary>Creates the exception with the error that caused it.</summary>
    public IdentityFileException(IdentityFileError error, string path, string message, Exception innerException)
        : base(message, innerException)
    {
        Error = error;
        FilePath = path;
    }

    /// <summary>What was wrong with the file, for programs that react differently (e.g. ask for a password on <see cref="IdentityFileError.PasswordRequired"/>).</summary>
    public IdentityFileError Error { get; }

    /// <summary>The file that could not be used.</summary>
    public string FilePath { get; }
}
