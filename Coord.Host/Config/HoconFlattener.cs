namespace Coord.Host.Config;

/// <summary>
/// Turns a resolved tree into Microsoft.Extensions.Configuration keys: <c>a { b = 1 }</c> becomes
/// <c>a:b = "1"</c>, arrays become <c>key:0</c>, <c>key:1</c>. An empty array becomes the empty
/// string at its key, so "no items" is distinguishable from "not set" (the binder reads a scalar
/// at a list key as a comma-separated list).
/// </summary>
public static class HoconFlattener
{
    public static Dictionary<string, string?> Flatten(HoconObject resolved, IDictionary<string, HoconPosition>? positions = null)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in resolved.Fields) Add(data, positions, key, value);
        return data;
    }

    private static void Add(Dictionary<string, string?> data, IDictionary<string, HoconPosition>? positions, string key, HoconValue value)
    {
        switch (value)
        {
            case HoconObject o:
                foreach (var (k, v) in o.Fields) Add(data, positions, key + ":" + k, v);
                break;
            case HoconArray a:
                if (a.Items.Count == 0) Put(data, positions, key, "", a.Position);
                for (var i = 0; i < a.Items.Count; i++) Add(data, positions, key + ":" + i, a.Items[i]);
                break;
            case HoconScalar s:
                Put(data, positions, key, s.Text, s.Position);
                break;
            default:
                throw new InvalidOperationException($"flatten needs a resolved tree; found {value.GetType().Name} at {value.Position}");
        }
    }

    private static void Put(Dictionary<string, string?> data, IDictionary<string, HoconPosition>? positions, string key, string? text, HoconPosition position)
    {
        data[key] = text;
        if (positions is not null) positions[key] = position;
    }
}
