using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coord.Chaos.History;

/// <summary>A history file could not be read; the message names the line and what is wrong.</summary>
public sealed class HistoryFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// JSON lines: one <see cref="HistoryRecord"/> per line, with a "type" of "init", "op" or "event", camelCase
/// names, enums as camelCase strings ("setData", "ok", "noNode", "nodeDataChanged"), unknown fields rejected.
/// </summary>
public static class HistoryJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowOutOfOrderMetadataProperties = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    public static string ToLine(HistoryRecord record) => JsonSerializer.Serialize(record, Options);

    public static void Write(TextWriter writer, OpHistory history)
    {
        foreach (var record in history.Records()) writer.WriteLine(ToLine(record));
    }

    public static void WriteFile(string path, OpHistory history)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        Write(writer, history);
    }

    public static OpHistory ReadFile(string path)
    {
        if (!File.Exists(path)) throw new HistoryFormatException($"{path}: no such file");
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Read(reader, path);
    }

    public static OpHistory Read(TextReader reader, string name = "history")
    {
        var records = new List<HistoryRecord>();
        var lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            HistoryRecord? record;
            try
            {
                record = JsonSerializer.Deserialize<HistoryRecord>(line, Options);
            }
            catch (JsonException e)
            {
                throw new HistoryFormatException($"{name}:{lineNo}: {e.Message}", e);
            }
            catch (NotSupportedException e)
            {
                throw new HistoryFormatException($"{name}:{lineNo}: {e.Message} (each line needs \"type\": \"init\", \"op\", \"event\" or \"role\")", e);
            }

            if (record is null) throw new HistoryFormatException($"{name}:{lineNo}: null record");
            var problem = Problem(record);
            if (problem is not null) throw new HistoryFormatException($"{name}:{lineNo}: {problem}");
            records.Add(record);
        }

        var history = OpHistory.From(records);
        var duplicate = history.Ops.GroupBy(o => o.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new HistoryFormatException($"{name}: op id {duplicate.Key} is used {duplicate.Count()} times");
        return history;
    }

    /// <summary>What makes a record unusable, or null. Also used on histories built in memory (Checker.Check).</summary>
    public static string? Problem(HistoryRecord record) => record switch
    {
        InitNode n => PathProblem(n.Path),
        WatchEvent e => PathProblem(e.Path),
        HistoryOp o => OpProblem(o),
        RoleRecord r => RoleProblem(r),
        _ => "unknown record",
    };

    private static string? OpProblem(HistoryOp o)
    {
        if (o.Complete is { } c && c < o.Invoke) return $"op {o.Id}: complete {c} is before invoke {o.Invoke}";
        if (o.Outcome != Outcome.Unknown && o.Complete is null) return $"op {o.Id}: an {o.Outcome} outcome needs a complete time";
        if (o.Outcome == Outcome.Error && o.Error is null) return $"op {o.Id}: an error outcome needs \"error\"";
        switch (o.Kind)
        {
            case OpKind.Multi:
                if (o.Ops is not { Count: > 0 } subs) return $"op {o.Id}: a multi needs \"ops\"";
                foreach (var s in subs)
                {
                    if (s.Kind is not (OpKind.Create or OpKind.Delete or OpKind.SetData or OpKind.Check))
                        return $"op {o.Id}: a multi may hold create, delete, setData and check, not {s.Kind}";
                    if (PathProblem(s.Path) is { } p) return $"op {o.Id}: {p}";
                }

                if (o.Outcome == Outcome.Ok && o.Result?.Results is { } rs && rs.Count != subs.Count)
                    return $"op {o.Id}: {rs.Count} results for {subs.Count} ops";
                if (o.Outcome == Outcome.Error && (o.FailedIndex is not { } fi || fi < 0 || fi >= subs.Count))
                    return $"op {o.Id}: a failed multi needs \"failedIndex\" within its ops";
                return null;
            case OpKind.CloseSession:
                return null;
            case OpKind.Check:
                return $"op {o.Id}: check exists only inside a multi";
            default:
                return o.Path is null ? $"op {o.Id}: {o.Kind} needs a path" : PathProblem(o.Path) is { } pp ? $"op {o.Id}: {pp}" : null;
        }
    }

    private static string? RoleProblem(RoleRecord r) => r.Role switch
    {
        Role.Counter => PathProblem(r.Path) is { } p ? $"counter role: {p}" : null,
        Role.Lock => PathProblem(r.Path) is { } p ? $"lock role: {p}" : PathProblem(r.Resource) is { } q ? $"lock role resource: {q}" : null,
        Role.Final => r.Session is null ? "final role needs \"session\"" : null,
        _ => "unknown role",
    };

    private static string? PathProblem(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "missing path";
        if (path[0] != '/') return $"path '{path}' does not start with '/'";
        return null;
    }
}
