using System.Text;
using Coord.Actors.Settings;
using Coord.Host.Config;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>reference.conf, the binder's schema and CoordSettings must describe the same keys.</summary>
public class ReferenceConfSpecs
{
    private static Dictionary<string, string?> ReferenceKeys() =>
        FlatFile(Path.Combine(RepoRoot(), "hocon", "reference.conf"));

    /// <summary>A valid value different from the default, per key, to prove each key reaches the settings.</summary>
    private static readonly Dictionary<string, string> NonDefault = new()
    {
        ["coord:server-id"] = "7",
        ["coord:data-dir"] = "/elsewhere",
        ["coord:tick-ms"] = "1000",
        ["coord:client:host"] = "0.0.0.0",
        ["coord:client:port"] = "0",
        ["coord:client:frame-bytes-max"] = "4096",
        ["coord:client:outstanding-requests-max"] = "10",
        ["coord:client:outbound-bytes-max"] = "16777216",
        ["coord:client:connections-per-ip-max"] = "0",
        ["coord:client:listen-backlog"] = "16",
        ["coord:session:timeout-ms-min"] = "5000",
        ["coord:session:timeout-ms-max"] = "90000",
        ["coord:session:sessions-max"] = "5",
        ["coord:znode:extended-types-enabled"] = "true",
        ["coord:znode:container-check-interval-ms"] = "1000",
        ["coord:znode:container-max-per-minute"] = "3",
        ["coord:auth:super-digest"] = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
        ["coord:auth:exists-requires-read"] = "false",
        ["coord:four-letter-words:whitelist"] = "ruok,mntr",
        ["coord:logging:level"] = "Debug",
        ["coord:logging:format"] = "json",
        ["coord:snapshot:every-txns"] = "10",
        ["coord:snapshot:every-mib"] = "1",
        ["coord:snapshot:retain"] = "5",
        ["coord:snapshot:min-txns-per-znode"] = "0",
        ["coord:admin:enabled"] = "false",
        ["coord:admin:host"] = "0.0.0.0",
        ["coord:admin:port"] = "0",
        ["coord:ensemble:init-limit-ticks"] = "20",
        ["coord:ensemble:sync-limit-ticks"] = "2",
        ["coord:ensemble:cluster:enabled"] = "off",
        ["coord:ensemble:cluster:acceptable-heartbeat-pause-ms"] = "1500",
        ["coord:ensemble:cluster:stable-after-ms"] = "7000",
    };

    /// <summary>What a key needs beside it to mean anything: the ensemble's limits exist only with members.</summary>
    private static readonly Dictionary<string, Dictionary<string, string?>> Alongside = new()
    {
        ["coord:ensemble:init-limit-ticks"] = OneMember(),
        ["coord:ensemble:sync-limit-ticks"] = OneMember(),
        ["coord:ensemble:cluster:enabled"] = OneMember(),
        ["coord:ensemble:cluster:acceptable-heartbeat-pause-ms"] = OneMember(),
        ["coord:ensemble:cluster:stable-after-ms"] = OneMember(),
    };

    private static Dictionary<string, string?> OneMember() => new()
    {
        ["coord:ensemble:members:1:host"] = "127.0.0.1",
        ["coord:ensemble:members:1:peer-port"] = "2888",
    };

    public static TheoryData<string> Keys() => [.. SettingsBinder.LeafKeys];

    [Fact]
    public void Reference_conf_holds_exactly_the_known_keys()
    {
        var keys = ReferenceKeys().Keys.Select(k => k.EndsWith(":0", StringComparison.Ordinal) ? k[..^2] : k).ToHashSet();
        Assert.Equal(SettingsBinder.LeafKeys.Order(), keys.Order());
    }

    [Fact]
    public void The_embedded_reference_conf_is_the_repository_file()
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream("reference.conf")!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        Assert.Equal(File.ReadAllText(Path.Combine(RepoRoot(), "hocon", "reference.conf")), reader.ReadToEnd());
    }

    [Fact]
    public void Reference_conf_binds_to_the_default_settings() =>
        Assert.Equal(CoordSettings.Default, ConfigLoader.Load(Path.Combine(RepoRoot(), "hocon", "reference.conf"), new Dictionary<string, string?>(), Env()));

    [Theory]
    [MemberData(nameof(Keys))]
    public void Every_key_reaches_the_settings(string key)
    {
        var alongside = Alongside.GetValueOrDefault(key) ?? [];
        var baseline = ConfigLoader.Load(null, alongside, Env());
        var changed = ConfigLoader.Load(null, new Dictionary<string, string?>(alongside) { [key] = NonDefault[key] }, Env());
        Assert.NotEqual(baseline, changed);
        if (alongside.Count == 0) Assert.Equal(CoordSettings.Default, baseline);
    }

    [Fact]
    public void Every_member_key_reaches_the_settings_and_is_documented_in_reference_conf()
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot(), "hocon", "reference.conf"));
        var member = new Dictionary<string, string?>
        {
            ["coord:ensemble:members:1:host"] = "127.0.0.1",
            ["coord:ensemble:members:1:peer-port"] = "2888",
        };
        var baseline = ConfigLoader.Load(null, member, Env()).Ensemble!.Members[0];
        Assert.Equal(new EnsembleMember(1, "127.0.0.1", 2888, 0, false, null, 0), baseline);
        var changed = new Dictionary<string, string>
        {
            ["host"] = "10.0.0.1", ["peer-port"] = "2999", ["election-port"] = "3888", ["role"] = "observer",
            ["client-host"] = "127.0.0.2", ["client-port"] = "2181",
        };
        Assert.Equal(SettingsBinder.MemberKeys.Order(), changed.Keys.Order());
        foreach (var (key, value) in changed)
        {
            // Two more voters (this server is member 2), so an observer 1 is valid and only the key under test differs.
            var overrides = new Dictionary<string, string?>(member)
            {
                [$"coord:ensemble:members:1:{key}"] = value,
                ["coord:server-id"] = "2",
                ["coord:ensemble:members:2:host"] = "127.0.0.1",
                ["coord:ensemble:members:2:peer-port"] = "2998",
                ["coord:ensemble:members:3:host"] = "127.0.0.1",
                ["coord:ensemble:members:3:peer-port"] = "2997",
            };
            if (key == "client-host") overrides["coord:ensemble:members:1:client-port"] = "2181";
            var bound = ConfigLoader.Load(null, overrides, Env()).Ensemble!.Members[0];
            Assert.NotEqual(baseline, bound);
            Assert.Matches($@"(?m)^\s*# {key}\s", text);
        }
        // The record's fields are exactly the member keys (Observer is role; Id is the member's key).
        var fields = typeof(EnsembleMember).GetConstructors().Single().GetParameters().Select(p => Kebab(p.Name!))
            .Where(k => k != "id").Select(k => k == "observer" ? "role" : k);
        Assert.Equal(SettingsBinder.MemberKeys.Order(), fields.Order());
    }

    [Fact]
    public void Every_settings_property_has_a_key_in_reference_conf()
    {
        var keys = ReferenceKeys().Keys.Select(k => k.EndsWith(":0", StringComparison.Ordinal) ? k[..^2] : k).ToHashSet();
        var expected = new List<string>();
        Collect(typeof(CoordSettings), "coord", expected);
        Assert.Equal(keys.Order(), expected.Order());
    }

    /// <summary>Walks the settings records by their constructor parameters (the data, not computed properties).</summary>
    private static void Collect(Type type, string prefix, List<string> keys)
    {
        if (type == typeof(EnsembleSettings))
        {
            // SelfId is coord.server-id; Members is the members object, whose keys have their own spec above.
            keys.AddRange([prefix + ":init-limit-ticks", prefix + ":sync-limit-ticks"]);
            // Cluster is an init property beside the constructor's data.
            Collect(typeof(EnsembleClusterSettings), prefix + ":cluster", keys);
            return;
        }
        var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        foreach (var p in ctor.GetParameters())
        {
            var key = prefix + ":" + Kebab(p.Name!);
            // Nested settings are records of the same namespace; everything else is a value.
            var nested = p.ParameterType.Namespace == typeof(CoordSettings).Namespace && p.ParameterType.GetMethod("<Clone>$") is not null;
            if (nested) Collect(p.ParameterType, key, keys);
            else keys.Add(key);
        }
    }

    private static string Kebab(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && sb.Length > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
