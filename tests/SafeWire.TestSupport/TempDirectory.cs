namespace SafeWire.TestSupport;

/// <summary>A fresh directory under the system temp folder, deleted on Dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("safewire-test-").FullName;
    }

    public string Path { get; }

    /// <summary>Combine with this directory's path.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process under test may still hold a file; the OS cleans temp later.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
