namespace Coord.Host;

/// <summary>
/// One server per data folder: an exclusive lock on <c>&lt;data-dir&gt;/coord.lock</c> (an advisory flock on
/// Linux) held for the server's lifetime, so a second server on the same folder stops at start instead of
/// interleaving writes to the same journal. The kernel drops the lock when the process dies, kill -9 included.
/// </summary>
public sealed class DataDirLock : IDisposable
{
    public const string FileName = "coord.lock";

    private readonly FileStream _file;

    private DataDirLock(FileStream file) => _file = file;

    /// <exception cref="IOException">Another process holds the folder; the message names it and what to do.</exception>
    public static DataDirLock Acquire(string dataDir)
    {
        string path = Path.Combine(dataDir, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            // The holder's pid is in the file (`cat` it); .NET cannot read it here, its own open would need the lock.
            throw new IOException(
                $"data folder {Path.GetFullPath(dataDir)} is in use by another coord server ({path} is locked; it holds that " +
                "server's pid). Stop that server, or give this one its own --data-dir.", e);
        }
        file.SetLength(0);
        using (var w = new StreamWriter(file, leaveOpen: true)) w.Write(Environment.ProcessId);
        file.Flush();
        return new DataDirLock(file);
    }

    public void Dispose() => _file.Dispose();
}
