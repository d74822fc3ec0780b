using System.Globalization;
using System.Runtime.InteropServices;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Container;

/// <summary>
/// podman as it works on these machines: as root, with runc and cgroupfs (no systemd), and with the container's
/// open-file and process limits given explicitly (podman's own default asks for 1048576 of each, which setrlimit
/// refuses without CAP_SYS_RESOURCE).
/// </summary>
internal static class Podman
{
    public const string Executable = "podman";
    public const string Compose = "podman-compose";

    /// <summary>Global flags, before the podman subcommand.</summary>
    public static readonly string[] GlobalArgs = ["--runtime", "runc", "--cgroup-manager=cgroupfs"];

    /// <summary>
    /// <c>--ulimit</c> flags for run and build: nofile equal to this process's own (`ulimit -n`); nproc at most 32768,
    /// because podman lowers its own (and so conmon's and runc's) nproc limit to 32768 when it starts (seen in
    /// /proc/PID/limits), and runc may not raise it again.
    /// </summary>
    public static readonly Lazy<string[]> UlimitArgs = new(() =>
    {
        long files = OwnLimit("Max open files") ?? 1024;
        long processes = Math.Min(OwnLimit("Max processes") ?? 32768, 32768);
        return ["--ulimit", $"nofile={files}:{files}", "--ulimit", $"nproc={processes}:{processes}"];
    });

    /// <summary>Why the container specs cannot run here, or null when they can.</summary>
    public static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (!OperatingSystem.IsLinux()) return "container specs need Linux";
        if (GetEuid() != 0) return "container specs need root (rootful podman with runc and cgroupfs, and debootstrap)";
        var missing = new[] { Executable, "debootstrap", "runc", "tar" }.Where(t => OnPath(t) is null).ToList();
        return missing.Count > 0 ? $"container specs need {string.Join(", ", missing)} on PATH (apt-get install podman debootstrap runc)" : null;
    });

    /// <summary>Why the compose spec cannot run here, or null when it can.</summary>
    public static readonly Lazy<string?> ComposeUnavailable = new(() =>
        Unavailable.Value ?? (OnPath(Compose) is null ? $"{Compose} is not on PATH (apt-get install podman-compose)" : null));

    /// <summary>Runs <c>podman GLOBAL args</c>; throws with its output unless it exits 0.</summary>
    public static async Task<string> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var result = await TryAsync(args, timeout);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"podman {string.Join(' ', args)} failed\n{result}");
        return result.Stdout.Trim();
    }

    /// <summary>Runs <c>podman GLOBAL args</c> and returns whatever happened.</summary>
    public static Task<ProcessResult> TryAsync(IEnumerable<string> args, TimeSpan? timeout = null) =>
        Tools.RunAsync(Executable, [.. GlobalArgs, .. args], timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>Follows a container's output (<c>podman logs -f</c>) line by line.</summary>
    public static ChildProcess FollowLogs(string container) => ChildProcess.Start(Executable, [.. GlobalArgs, "logs", "-f", container]);

    /// <summary>The host address a container port is published on (<c>podman port</c>), as host and port.</summary>
    public static async Task<(string Host, int Port)> PublishedAsync(string container, int containerPort)
    {
        var line = (await RunAsync(["port", container, $"{containerPort}/tcp"])).Split('\n')[0].Trim();
        var colon = line.LastIndexOf(':');
        if (colon < 0) throw new InvalidOperationException($"podman port {container} {containerPort}: '{line}'");
        return (line[..colon], int.Parse(line[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>Removes whatever carries the label (containers first, then volumes and networks); best effort, for cleanup.</summary>
    public static async Task RemoveLabelledAsync(string label)
    {
        foreach (var (list, remove) in new (string[] List, string[] Remove)[]
                 {
                     (["ps", "-aq", "--filter", $"label={label}"], ["rm", "-f", "-v", "-t", "0"]),
                     (["volume", "ls", "-q", "--filter", $"label={label}"], ["volume", "rm", "-f"]),
                     (["network", "ls", "-q", "--filter", $"label={label}"], ["network", "rm", "-f"]),
                 })
        {
            var ids = await TryAsync(list);
            var found = ids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (found.Length > 0) await TryAsync([.. remove, .. found]);
        }
    }

    public static string? OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Concat(["/usr/sbin", "/sbin"]).Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists);

    /// <summary>The soft limit from /proc/self/limits ("Max open files  20000  20000  files").</summary>
    private static long? OwnLimit(string name)
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal)) continue;
            var soft = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        return null;
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}

/// <summary>A fact that is skipped, with the reason, where podman cannot run containers (not root, tools missing).</summary>
public sealed class ContainerFactAttribute : FactAttribute
{
    public ContainerFactAttribute()
    {
        if (Podman.Unavailable.Value is { } reason) Skip = reason;
    }
}

/// <summary>A <see cref="ContainerFactAttribute"/> that also needs podman-compose.</summary>
public sealed class ComposeFactAttribute : FactAttribute
{
    public ComposeFactAttribute()
    {
        if (Podman.ComposeUnavailable.Value is { } reason) Skip = reason;
    }
}
