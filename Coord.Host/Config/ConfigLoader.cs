using System.Collections;
using System.Reflection;
using Coord.Actors.Settings;
using AkkaConfig = Akka.Configuration.Config;
using Microsoft.Extensions.Configuration;

namespace Coord.Host.Config;

/// <summary>What <see cref="ConfigLoader.LoadDetailed"/> produced.</summary>
/// <param name="Settings">Everything Coord reads, from all four layers.</param>
/// <param name="Warnings">What a zoo.cfg held that Coord does not take over; to be shown at start.</param>
/// <param name="Configuration">The layered keys the settings were bound from.</param>
/// <param name="Akka">
/// The HOCON document (the config file over reference.conf, or reference.conf alone): <c>akka { }</c> for the
/// ActorSystem, <c>coord { }</c> as written in the files. Environment and command-line overrides are not in it; the
/// settings are.
/// </param>
public sealed record LoadedConfig(CoordSettings Settings, IReadOnlyList<string> Warnings, IConfigurationRoot Configuration, AkkaConfig Akka);

/// <summary>
/// Builds <see cref="CoordSettings"/> from four layers, later winning: the embedded reference.conf,
/// the config file (HOCON, or a ZooKeeper zoo.cfg when the name ends in .cfg), COORD_* environment
/// variables, and the command-line overrides.
/// </summary>
/// <remarks>
/// HOCON is read by Akka's parser (<see cref="HoconReader"/>), then flattened to keys (<see cref="HoconKeys"/>).
/// The config file is read as the continuation of reference.conf in one document, so the file can refer to
/// defaults with ${coord.tick-ms} (Akka cannot resolve a substitution into a WithFallback config) and a list in
/// the file replaces the default list whole. Environment and command line are flattened keys; a list there is
/// best given as one comma-separated value (COORD_FOUR_LETTER_WORDS__WHITELIST=ruok,mntr), which replaces the
/// list whole. Akka's parser reads no environment variables (${?VAR} is refused with a pointer to COORD_*).
/// </remarks>
public static class ConfigLoader
{
    public const string EnvironmentPrefix = "COORD_";
    private const string ReferenceResource = "reference.conf";

    /// <summary>The embedded reference.conf: its text (the start of every file's document) and its keys. A Config is
    /// parsed per load instead of shared, since each server builds its ActorSystem from its own.</summary>
    private static readonly Lazy<(string Text, IReadOnlyDictionary<string, string?> Keys)> Reference = new(() =>
    {
        var text = ReadReference();
        return (text, HoconKeys.Flatten(HoconReader.ReadString(text, ReferenceResource), ReferenceResource));
    });

    public static CoordSettings Load(string? configFile, IReadOnlyDictionary<string, string?> overrides, IDictionary environment) =>
        LoadDetailed(configFile, overrides, environment).Settings;

    /// <exception cref="CoordConfigException">The configuration cannot be used; every problem found is listed.</exception>
    public static LoadedConfig LoadDetailed(string? configFile, IReadOnlyDictionary<string, string?> overrides, IDictionary environment)
    {
        var reference = Reference.Value;
        var warnings = new List<string>();
        AkkaConfig? akka = null;
        var hocon = reference.Keys;
        string? hoconFile = null;
        IReadOnlyDictionary<string, string?>? zoo = null;
        IReadOnlyDictionary<string, string>? zooSources = null;
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full)) throw new CoordConfigException([$"config file not found: {full}"]);
            if (full.EndsWith(".cfg", StringComparison.OrdinalIgnoreCase))
            {
                var translation = ZooCfg.Translate(full);
                if (translation.Errors.Count > 0) throw new CoordConfigException(translation.Errors);
                zoo = translation.Values;
                zooSources = translation.Sources;
                warnings.AddRange(translation.Warnings);
            }
            else
            {
                akka = HoconReader.ReadFile(full, reference.Text);
                hocon = HoconKeys.Flatten(akka, full);
                hoconFile = full;
            }
        }

        akka ??= HoconReader.ReadString(reference.Text, ReferenceResource);

        var layers = new List<(string Name, IReadOnlyDictionary<string, string?> Values)> { ("HOCON", hocon) };
        if (zoo is not null) layers.Add((configFile!, zoo));
        layers.Add(("environment", EnvironmentKeys(environment)));
        layers.Add(("command line", NormalizeOverrides(overrides)));

        var builder = new ConfigurationBuilder();
        foreach (var layer in layers) builder.AddInMemoryCollection(layer.Values);
        var configuration = builder.Build();

        string? Describe(string key)
        {
            for (var i = layers.Count - 1; i >= 0; i--)
            {
                var (name, values) = layers[i];
                if (!values.TryGetValue(key, out var value)) continue;
                if (name == "environment") return "environment variable " + EnvironmentName(key);
                if (ReferenceEquals(values, zoo)) return zooSources?.GetValueOrDefault(key) ?? name; // file:line, or the myid file
                if (name != "HOCON") return name;
                // The document holds reference.conf and the file; a key the file did not change is a default.
                var isDefault = reference.Keys.TryGetValue(key, out var byDefault) && byDefault == value;
                return hoconFile is not null && !isDefault ? hoconFile : ReferenceResource;
            }
            return null;
        }

        return new LoadedConfig(SettingsBinder.Bind(configuration, Describe), warnings, configuration, akka);
    }

    /// <summary>COORD_CLIENT__PORT → coord:client:port; "__" separates levels, "_" becomes "-", lower-cased.</summary>
    public static Dictionary<string, string?> EnvironmentKeys(IDictionary environment)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is not string name || !name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            // Test-only switches that are not configuration keys (read by the code they switch).
            if (string.Equals(name, Coord.Actors.Faults.Failpoints.EnvironmentVariable, StringComparison.OrdinalIgnoreCase)) continue;
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
