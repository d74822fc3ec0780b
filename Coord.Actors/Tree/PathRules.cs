using System.Globalization;

namespace Coord.Actors.Tree;

/// <summary>ZooKeeper's PathUtils.validatePath and helpers for parent paths and sequential names.</summary>
public static class PathRules
{
    public const string Root = "/";
    public const string ZooKeeper = "/zookeeper";
    public const string Quota = "/zookeeper/quota";
    public const string Config = "/zookeeper/config";

    /// <summary>
    /// Null if <paramref name="path"/> is a valid absolute path, else the reason. With
    /// <paramref name="allowTrailingSlash"/> the path is checked as a sequential prefix (ZooKeeper appends
    /// "1" before checking), so "/q/" passes.
    /// </summary>
    public static string? Validate(string? path, bool allowTrailingSlash = false)
    {
        if (path is null) return "path cannot be null";
        if (allowTrailingSlash) path += "1";
        if (path.Length == 0) return "path length must be > 0";
        if (path[0] != '/') return "path must start with / character";
        if (path.Length == 1) return null;
        if (path[^1] == '/') return "path must not end with / character";
        char last = '/';
        for (int i = 1; i < path.Length; last = path[i], i++)
        {
            char c = path[i];
            if (c == 0) return $"null character not allowed @{i}";
            if (c == '/' && last == '/') return $"empty node name specified @{i}";
            if (c == '.' && last == '.')
            {
                if (path[i - 2] == '/' && (i + 1 == path.Length || path[i + 1] == '/')) return $"relative paths not allowed @{i}";
            }
            else if (c == '.')
            {
                if (path[i - 1] == '/' && (i + 1 == path.Length || path[i + 1] == '/')) return $"relative paths not allowed @{i}";
            }
            else if (c is > '\u0000' and <= '\u001f' or >= '\u007f' and <= '\u009f' or >= '\ud800' and <= '\uf8ff' or >= '\ufff0')
            {
                return $"invalid character @{i}";
            }
        }
        return null;
    }

    /// <summary>True for the nodes that exist on a fresh server and can never be deleted.</summary>
    public static bool IsSystemPath(string path) => path is Root or ZooKeeper or Quota or Config;

    /// <summary>Parent of an absolute path; "/" for top-level nodes. Null for "/" and for paths without '/'.</summary>
    public static string? ParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        if (slash < 0 || path == Root) return null;
        return slash == 0 ? Root : path[..slash];
    }

    /// <summary>The last segment of an absolute path.</summary>
    public static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>
    /// Java's <c>String.format("%010d", counter)</c>: zero-padded to width 10 including the sign, so a
    /// wrapped counter gives "-2147483648".
    /// </summary>
    public static string SequenceSuffix(int counter) =>
        counter >= 0
            ? counter.ToString("D10", CultureInfo.InvariantCulture)
            : "-" + (-(long)counter).ToString("D9", CultureInfo.InvariantCulture);
}
