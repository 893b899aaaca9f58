namespace SafeWire.Enrollment;

/// <summary>
/// What a server derives from one file (a parsed CA, a CRL's bytes), made again only when the file changes: its
/// write time or length differ from the last read. Files here are replaced by rename, so a change always shows.
/// A value that is <see cref="IDisposable"/> is disposed when replaced and by <see cref="Clear"/>.
/// </summary>
internal sealed class FileVersionCache<T>(string path, Func<string, T> read)
    where T : class
{
    private readonly object _gate = new();
    private (DateTime Written, long Length) _stamp;
    private T? _value;

    /// <summary>Runs <paramref name="use"/> on the current value (null when the file is absent), under the cache's lock.</summary>
    public TResult Use<TResult>(Func<T?, TResult> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        var info = new FileInfo(path);
        lock (_gate)
        {
            if (!info.Exists)
            {
                Replace(null, default);
                return use(null);
            }

            var stamp = (info.LastWriteTimeUtc, info.Length);
            if (_value is null || stamp != _stamp)
            {
                Replace(read(path), stamp);
            }

            return use(_value);
        }
    }

    /// <summary>
    /// Holds <paramref name="value"/> as what the file now contains, for a caller that has just written the file itself
    /// (and still holds whatever keeps other writers out): the next use does not read it back.
    /// </summary>
    public void Set(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var info = new FileInfo(path);
        lock (_gate)
        {
            if (!info.Exists)
            {
                Replace(null, default);
                return;
            }

            if (!ReferenceEquals(value, _value))
            {
                Replace(value, (info.LastWriteTimeUtc, info.Length));
            }
            else
            {
                _stamp = (info.LastWriteTimeUtc, info.Length);
            }
        }
    }

    /// <summary>Lets go of the value held (disposing it); the next use reads the file again.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            Replace(null, default);
        }
    }

    private void Replace(T? value, (DateTime, long) stamp)
    {
        (_value as IDisposable)?.Dispose();
        _value = value;
        _stamp = stamp;
    }
}
