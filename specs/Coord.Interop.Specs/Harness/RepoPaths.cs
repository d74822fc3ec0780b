namespace Coord.Interop.Specs.Harness;

/// <summary>Locates the repository (the folder holding Coord.sln) and the built coord executable.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> root = new(FindRoot);

    /// <summary>The folder containing Coord.sln, found by walking up from the test assembly.</summary>
    public static string Root => root.Value;

    /// <summary>coord.dll next to the test assembly (Coord.Host's output is copied there by the ProjectReference).</summary>
    public static string CoordDll => Path.Combine(AppContext.BaseDirectory, "coord.dll");

    /// <summary>This test project's source folder (where kazoo/ and java/ live).</summary>
    public static string SpecsDir => Path.Combine(Root, "specs", "Coord.Interop.Specs");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coord.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Coord.sln not found in any parent of {AppContext.BaseDirectory}; run the tests from a checkout.");
    }
}
