namespace Coord.Interop.Specs.Harness;

internal static class TempDir
{
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"coord-interop-{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
