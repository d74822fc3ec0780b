using Akka.Configuration;

namespace Coord.Akka;

/// <summary>Coord.Akka's reference configuration (<c>reference.conf</c> in this assembly): every key, its default
/// and what it means.</summary>
public static class CoordAkkaConfig
{
    private static readonly Lazy<Config> defaults = new(() =>
        ConfigurationFactory.FromResource("Coord.Akka.reference.conf", typeof(CoordAkkaConfig).Assembly));

    /// <summary>The defaults: use as a fallback of the ActorSystem's config
    /// (<c>ConfigurationFactory.ParseString(hocon).WithFallback(CoordAkkaConfig.Default)</c>).</summary>
    public static Config Default => defaults.Value;
}
