using System.Collections;
using Coord.Host.Config;

namespace Coord.Host.Specs.Config;

/// <summary>Helpers shared by the config specs.</summary>
internal static class Hocon
{
    private static readonly Dictionary<string, string?> NoOverrides = [];

    /// <summary>HOCON text read by Akka's parser and flattened to configuration keys, as the loader does.</summary>
    public static Dictionary<string, string?> Flat(string text) =>
        HoconKeys.Flatten(HoconReader.ReadString(text, "test.conf"), "test.conf");

    /// <summary>A file read by Akka's parser on its own (no reference.conf), includes resolved, flattened.</summary>
    public static Dictionary<string, string?> FlatFile(string path) =>
        HoconKeys.Flatten(HoconReader.ReadFile(path, ""), path);

    public static LoadedConfig Load(string file, IDictionary? env = null) =>
        ConfigLoader.LoadDetailed(file, NoOverrides, env ?? Env());

    /// <summary>The one problem loading <paramref name="file"/> reports.</summary>
    public static string LoadError(string file, IDictionary? env = null) =>
        Assert.Single(Assert.Throws<CoordConfigException>(() => Load(file, env)).Errors);

    public static IDictionary Env(params (string Key, string Value)[] vars)
    {
        var env = new Hashtable();
        foreach (var (k, v) in vars) env[k] = v;
        return env;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Coord.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Coord.sln not found above the test output");
    }
}

/// <summary>A scratch directory deleted when the spec ends.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("coord-config-").FullName;

    public string Write(string name, string content)
    {
        var full = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
