using System.Collections;
using System.Reflection;
using Coord.Actors.Settings;
using Microsoft.Extensions.Configuration;

namespace Coord.Host.Config;

/// <summary>What <see cref="ConfigLoader.LoadDetailed"/> produced: the settings, zoo.cfg warnings to log, and the raw keys.</summary>
public sealed record LoadedConfig(CoordSettings Settings, IReadOnlyList<string> Warnings, IConfigurationRoot Configuration);

/// <summary>
/// Builds <see cref="CoordSettings"/> from four layers, later winning: the embedded reference.conf,
/// the config file (HOCON, or a ZooKeeper zoo.cfg when the name ends in .cfg), COORD_* environment
/// variables, and the command-line overrides.
/// </summary>
/// <remarks>
/// reference.conf and a HOCON file are merged as HOCON trees before flattening (Akka's withFallback), so
/// the file can refer to defaults with ${coord.tick-ms} and a list in the file replaces the default list
/// whole. Environment and command line are flattened keys; a list there is best given as one
/// comma-separated value (COORD_FOUR_LETTER_WORDS__WHITELIST=ruok,mntr), which replaces the list whole.
/// </remarks>
public static class ConfigLoader
{
    public const string EnvironmentPrefix = "COORD_";
    private const string ReferenceResource = "reference.conf";

    public static CoordSettings Load(string? configFile, IReadOnlyDictionary<string, string?> overrides, IDictionary environment) =>
        LoadDetailed(configFile, overrides, environment).Settings;

    public static LoadedConfig LoadDetailed(string? configFile, IReadOnlyDictionary<string, string?> overrides, IDictionary environment)
    {
        string? Env(string name) => environment[name] as string;
        var warnings = new List<string>();
        var layers = new List<(string Name, IReadOnlyDictionary<string, string?> Values, IDictionary<string, HoconPosition>? Positions)>();

        var tree = HoconParser.Parse(ReadReference(), "reference.conf");
        IReadOnlyDictionary<string, string?>? zoo = null;
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full)) throw new CoordConfigException([$"config file not found: {full}"]);
            if (full.EndsWith(".cfg", StringComparison.OrdinalIgnoreCase))
            {
                var translation = ZooCfg.Translate(full);
                zoo = translation.Values;
                warnings.AddRange(translation.Warnings);
            }
            else
            {
                tree = HoconParser.ParseFile(full).WithFallback(tree);
            }
        }
        var positions = new Dictionary<string, HoconPosition>(StringComparer.OrdinalIgnoreCase);
        layers.Add(("HOCON", HoconFlattener.Flatten(HoconResolver.Resolve(tree, Env), positions), positions));
        if (zoo is not null) layers.Add((configFile!, zoo, null));
        layers.Add(("environment", EnvironmentKeys(environment), null));
        layers.Add(("command line", NormalizeOverrides(overrides), null));

        var builder = new ConfigurationBuilder();
        foreach (var layer in layers) builder.AddInMemoryCollection(layer.Values);
        var configuration = builder.Build();

        string? Describe(string key)
        {
            for (var i = layers.Count - 1; i >= 0; i--)
            {
                var (name, values, pos) = layers[i];
                if (!values.ContainsKey(key)) continue;
                if (pos is not null && pos.TryGetValue(key, out var p)) return p.ToString();
                if (name == "environment") return "environment variable " + EnvironmentName(key);
                return name;
            }
            return null;
        }

        return new LoadedConfig(SettingsBinder.Bind(configuration, Describe), warnings, configuration);
    }

    /// <summary>COORD_CLIENT__PORT → coord:client:port; "__" separates levels, "_" becomes "-", lower-cased.</summary>
    public static Dictionary<string, string?> EnvironmentKeys(IDictionary environment)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is not string name || !name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            var rest = name[EnvironmentPrefix.Length..];
            if (rest.Length == 0) continue;
            var path = rest.Split("__").Select(segment => segment.Replace('_', '-').ToLowerInvariant());
            keys["coord:" + string.Join(':', path)] = entry.Value as string;
        }
        return keys;
    }

    /// <summary>The variable that maps to <paramref name="key"/>, for messages.</summary>
    public static string EnvironmentName(string key) =>
        EnvironmentPrefix + string.Join("__", key.Split(':').Skip(1).Select(s => s.Replace('-', '_').ToUpperInvariant()));

    /// <summary>Command-line keys may be written coord.client.port or coord:client:port.</summary>
    private static Dictionary<string, string?> NormalizeOverrides(IReadOnlyDictionary<string, string?> overrides)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in overrides) keys[key.Replace('.', ':')] = value;
        return keys;
    }

    private static string ReadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"embedded resource {ReferenceResource} is missing from {Assembly.GetExecutingAssembly().GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
