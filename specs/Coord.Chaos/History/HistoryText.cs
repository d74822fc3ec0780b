using System.Globalization;
using System.Text;

namespace Coord.Chaos.History;

/// <summary>One-line descriptions of ops for verdicts: "#12 s3 [40,47] setData /k1 'v5' v=4 -> ok v=5".</summary>
public static class HistoryText
{
    public static string Describe(HistoryOp op)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"#{op.Id} s{op.Session} [{op.Invoke},{(op.Complete is { } c ? c.ToString(CultureInfo.InvariantCulture) : "?")}] ");
        sb.Append(Name(op.Kind, op.Sequential, op.Ephemeral));
        if (op.Path is not null) sb.Append(' ').Append(op.Path);
        if (op.Data is not null) sb.Append(" '").Append(op.Data).Append('\'');
        if (op.Kind is OpKind.SetData or OpKind.Delete or OpKind.Check && op.Version != -1) sb.Append(CultureInfo.InvariantCulture, $" v={op.Version}");
        if (op.Watch) sb.Append(" watch");
        if (op.Expired) sb.Append(" (expired)");
        if (op.Ops is { } subs) sb.Append(" [").Append(string.Join("; ", subs.Select(Describe))).Append(']');
        sb.Append(" -> ");
        switch (op.Outcome)
        {
            case Outcome.Ok: sb.Append("ok").Append(Describe(op.Result)); break;
            case Outcome.Error:
                sb.Append(op.Error?.ToString() ?? "error");
                if (op.FailedIndex is { } i) sb.Append(CultureInfo.InvariantCulture, $" at op {i}");
                break;
            default: sb.Append("unknown"); break;
        }

        return sb.ToString();
    }

    public static string Describe(SubOp op)
    {
        var s = $"{Name(op.Kind, op.Sequential, op.Ephemeral)} {op.Path}";
        if (op.Data is not null) s += $" '{op.Data}'";
        if (op.Version != -1) s += $" v={op.Version}";
        return s;
    }

    private static string Describe(OpReturn? r)
    {
        if (r is null) return "";
        var parts = new List<string>();
        if (r.Path is not null) parts.Add(r.Path);
        if (r.Data is not null) parts.Add($"'{r.Data}'");
        if (r.Stat is { } s)
        {
            if (s.Version is { } v) parts.Add($"v={v}");
            if (s.Czxid is { } cz) parts.Add($"czxid=0x{cz:x}");
            if (s.Mzxid is { } mz) parts.Add($"mzxid=0x{mz:x}");
        }

        if (r.Children is { } kids) parts.Add($"[{string.Join(",", kids)}]");
        if (r.Results is { } rs) parts.Add($"({string.Join("; ", rs.Select(x => Describe(x).Trim()))})");
        return parts.Count == 0 ? "" : " " + string.Join(" ", parts);
    }

    private static string Name(OpKind kind, bool sequential, bool ephemeral) => kind switch
    {
        OpKind.Create => "create" + (ephemeral ? " -e" : "") + (sequential ? " -s" : ""),
        OpKind.SetData => "setData",
        OpKind.GetData => "getData",
        OpKind.GetChildren => "getChildren",
        OpKind.CloseSession => "closeSession",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
