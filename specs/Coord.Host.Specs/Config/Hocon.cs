using System.Collections;
using Coord.Host.Config;

namespace Coord.Host.Specs.Config;

/// <summary>Helpers shared by the config specs.</summary>
internal static class Hocon
{
    public static Dictionary<string, string?> Flat(string text, IDictionary<string, string>? env = null) =>
        HoconFlattener.Flatten(HoconResolver.Resolve(HoconParser.Parse(text, "test.conf"), name => env is not null && env.TryGetValue(name, out var v) ? v : null));

    public static HoconException ParseError(string text) =>
        Assert.Throws<HoconException>(() => Flat(text));

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
