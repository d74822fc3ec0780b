using Microsoft.Extensions.Configuration;

namespace Coord.Host.Config;

/// <summary>A HOCON file as a configuration source. Substitutions resolve within the file, then the environment.</summary>
public sealed class HoconConfigurationSource : IConfigurationSource
{
    public required string Path { get; init; }
    public bool Optional { get; init; }
    /// <summary>Environment lookup for substitutions; null means the process environment.</summary>
    public Func<string, string?>? Environment { get; init; }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new HoconConfigurationProvider(this);
}

public sealed class HoconConfigurationProvider(HoconConfigurationSource source) : ConfigurationProvider
{
    public HoconConfigurationSource Source { get; } = source;

    public override void Load()
    {
        var path = System.IO.Path.GetFullPath(Source.Path);
        if (!File.Exists(path))
        {
            if (Source.Optional) { Data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase); return; }
            throw new FileNotFoundException($"HOCON configuration file not found: {path}", path);
        }
        var tree = HoconResolver.Resolve(HoconParser.ParseFile(path), Source.Environment);
        Data = HoconFlattener.Flatten(tree);
    }
}

public static class HoconConfigurationExtensions
{
    public static IConfigurationBuilder AddHoconFile(this IConfigurationBuilder builder, string path, bool optional = false) =>
        builder.Add(new HoconConfigurationSource { Path = path, Optional = optional });
}
