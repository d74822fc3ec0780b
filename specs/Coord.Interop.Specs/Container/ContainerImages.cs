using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Container;

/// <summary>
/// The images the container specs run, built at most once per test run (the first spec that asks waits):
/// <list type="number">
/// <item>a Debian base image standing in for mcr.microsoft.com/dotnet/runtime-deps (no registry is reachable here):
/// <c>debootstrap --variant=minbase</c> of this machine's own Debian suite from its configured mirror, then
/// <c>podman import</c>. It takes a minute or two, so it is kept under a tag naming the suite, mirror and package list,
/// and reused by later runs while that tag exists;</item>
/// <item>the coord image: docker/Dockerfile with <c>PUBLISH=prebuilt</c> and that base, from a self-contained
/// <c>dotnet publish Coord.Host</c> of this checkout (into a temp folder, so the checkout's bin/obj are untouched).
/// Rebuilt every run under one tag; the image it replaces is removed.</item>
/// </list>
/// </summary>
public sealed class ContainerImages
{
    public const string CoordImage = "localhost/coord-spec:latest";
    private const string BaseRepository = "localhost/coord-spec-base";

    /// <summary>What runtime-deps adds to a minimal Debian that a .NET server may use (CA certificates, time zones);
    /// no ICU: the build sets InvariantGlobalization.</summary>
    private const string BasePackages = "ca-certificates,tzdata";

    private readonly Lock _gate = new();
    private readonly List<string> _timings = [];
    private Task<string>? _coord;

    /// <summary>The coord image's tag, once built (the first call builds the base image too if it is not cached).</summary>
    public Task<string> CoordAsync()
    {
        lock (_gate) return _coord ??= BuildCoordAsync();
    }

    /// <summary>How long each step took, for the spec's output ("debootstrap 74 s", ...).</summary>
    public IReadOnlyList<string> Timings
    {
        get { lock (_gate) return [.. _timings]; }
    }

    private void Took(string step, Stopwatch watch)
    {
        lock (_gate) _timings.Add($"{step}: {watch.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task<string> BuildCoordAsync()
    {
        var baseImage = await BaseImageAsync();
        var work = TempDir.Create("image");
        try
        {
            // The build context holds exactly what the Dockerfile copies for PUBLISH=prebuilt.
            var context = Path.Combine(work, "context");
            var docker = Path.Combine(context, "docker");
            Directory.CreateDirectory(docker);
            File.Copy(Path.Combine(RepoPaths.Root, "docker", "coord.conf"), Path.Combine(docker, "coord.conf"));

            var watch = Stopwatch.StartNew();
            var publish = await Tools.RunAsync("dotnet",
            [
                "publish", Path.Combine(RepoPaths.Root, "Coord.Host", "Coord.Host.csproj"), "-c", "Release", "-r", RuntimeId(),
                // ReadyToRun (the default for a publish with -r, and what the Dockerfile's SDK stage makes) only shortens the
                // start; it is left out here because precompiling every assembly costs more CPU than the rest of the spec.
                "--self-contained", "-p:PublishReadyToRun=false", "-p:DebugType=none", "-p:GenerateDocumentationFile=false",
                "-o", Path.Combine(docker, "out"),
                "--artifacts-path", Path.Combine(work, "artifacts"), "-nologo",
            ], TimeSpan.FromMinutes(5));
            Assert.True(publish.ExitCode == 0, $"dotnet publish Coord.Host failed\n{publish}");
            Assert.True(File.Exists(Path.Combine(docker, "out", "coord")), $"the publish has no coord executable\n{publish}");
            Took("dotnet publish (self-contained)", watch);

            watch.Restart();
            var previous = await ImageIdAsync(CoordImage);
            await Podman.RunAsync(
            [
                "build", "--format", "docker", .. Podman.UlimitArgs.Value, "-f", Path.Combine(RepoPaths.Root, "docker", "Dockerfile"),
                "--build-arg", "PUBLISH=prebuilt", "--build-arg", $"BASE_IMAGE={baseImage}", "-t", CoordImage, context,
            ], TimeSpan.FromMinutes(5));
            var built = await ImageIdAsync(CoordImage);
            if (previous is not null && previous != built) await Podman.TryAsync(["rmi", previous]); // still used: kept
            // The publish stage's image (122 MB, untagged; `--layers=false` would avoid it, but podman 4.3 then fails the
            // build at its end with "identifier is not an image").
            var stages = await Podman.RunAsync(["images", "-q", "--filter", "dangling=true", "--filter", "label=org.coord.stage=publish-prebuilt"]);
            foreach (var stage in stages.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) await Podman.TryAsync(["rmi", stage]);
            Took("podman build", watch);
            return CoordImage;
        }
        finally
        {
            TempDir.Delete(work);
        }
    }

    private async Task<string> BaseImageAsync()
    {
        var (suite, mirror) = DebianSource();
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{suite} {mirror} {BasePackages}")))[..12];
        var tag = $"{BaseRepository}:{suite}-minbase-{key}";
        if ((await Podman.TryAsync(["image", "exists", tag])).ExitCode == 0)
        {
            lock (_gate) _timings.Add($"base image {tag}: cached");
            return tag;
        }

        var work = TempDir.Create("debootstrap");
        var root = Path.Combine(work, "root");
        try
        {
            var watch = Stopwatch.StartNew();
            var bootstrap = await Tools.RunAsync(Podman.OnPath("debootstrap") ?? "debootstrap",
                ["--variant=minbase", $"--include={BasePackages}", suite, root, mirror], TimeSpan.FromMinutes(10));
            Assert.True(bootstrap.ExitCode == 0, $"debootstrap {suite} from {mirror} failed\n{bootstrap}");
            Took($"debootstrap {suite} (minbase) from {mirror}", watch);

            watch.Restart();
            // The package cache and lists are a third of the tree and nothing in the image uses them.
            foreach (var cache in new[] { "var/cache/apt/archives", "var/lib/apt/lists" })
                foreach (var file in Directory.EnumerateFiles(Path.Combine(root, cache), "*", SearchOption.TopDirectoryOnly)) File.Delete(file);
            var tar = Path.Combine(work, "base.tar");
            var pack = await Tools.RunAsync("tar", ["--numeric-owner", "-C", root, "-cf", tar, "."], TimeSpan.FromMinutes(5));
            Assert.True(pack.ExitCode == 0, $"tar of the debootstrap tree failed\n{pack}");
            await Podman.RunAsync(["import", tar, tag], TimeSpan.FromMinutes(5));
            Took("podman import", watch);
            return tag;
        }
        finally
        {
            await UnmountUnderAsync(root);
            TempDir.Delete(work);
        }
    }

    /// <summary>
    /// This machine's Debian suite (VERSION_CODENAME) and the first mirror its apt sources list for it, deb822
    /// (<c>*.sources</c>) or one-line (<c>*.list</c>) form; security and update suites are not the base.
    /// </summary>
    internal static (string Suite, string Mirror) DebianSource()
    {
        var codename = File.ReadLines("/etc/os-release").Select(l => l.Split('=', 2)).Where(p => p[0] == "VERSION_CODENAME")
            .Select(p => p[1].Trim('"')).FirstOrDefault();
        if (string.IsNullOrEmpty(codename)) throw new InvalidOperationException("no VERSION_CODENAME in /etc/os-release: not a Debian machine?");

        var files = new List<string>();
        if (File.Exists("/etc/apt/sources.list")) files.Add("/etc/apt/sources.list");
        if (Directory.Exists("/etc/apt/sources.list.d"))
            files.AddRange(Directory.GetFiles("/etc/apt/sources.list.d").Where(f => f.EndsWith(".list", StringComparison.Ordinal)
                || f.EndsWith(".sources", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var mirror = file.EndsWith(".sources", StringComparison.Ordinal) ? FromDeb822(text, codename) : FromOneLine(text, codename);
            if (mirror is not null) return (codename, mirror);
        }
        throw new InvalidOperationException($"no apt source for suite {codename} in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources|*.list");
    }

    private static string? FromDeb822(string text, string suite)
    {
        foreach (var stanza in text.Replace("\r", "").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = stanza.Split('\n').Where(l => !l.StartsWith('#') && l.Contains(':'))
                .Select(l => l.Split(':', 2)).GroupBy(p => p[0].Trim(), StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.OrdinalIgnoreCase);
            if (fields.GetValueOrDefault("Enabled") is "no") continue;
            if (!(fields.GetValueOrDefault("Types") ?? "").Split(' ').Contains("deb")) continue;
            if (!(fields.GetValueOrDefault("Suites") ?? "").Split(' ').Contains(suite)) continue;
            var uri = (fields.GetValueOrDefault("URIs") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (uri is not null) return uri;
        }
        return null;
    }

    private static string? FromOneLine(string text, string suite)
    {
        foreach (var line in text.Split('\n').Select(l => l.Trim()))
        {
            if (!line.StartsWith("deb ", StringComparison.Ordinal)) continue;
            var words = line[4..].Trim();
            if (words.StartsWith('[')) words = words[(words.IndexOf(']') + 1)..]; // [signed-by=...] options
            var parts = words.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[1] == suite) return parts[0];
        }
        return null;
    }

    private static string RuntimeId() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "linux-x64",
        Architecture.Arm64 => "linux-arm64",
        var other => throw new PlatformNotSupportedException($"no Coord image for {other}"),
    };

    private static async Task<string?> ImageIdAsync(string tag)
    {
        var inspect = await Podman.TryAsync(["image", "inspect", "--format", "{{.Id}}", tag]);
        return inspect.ExitCode == 0 ? inspect.Stdout.Trim() : null;
    }

    /// <summary>debootstrap mounts /proc and /sys inside the tree while it works; one that failed may leave them.
    /// Unmount them before the folder is deleted.</summary>
    private static async Task UnmountUnderAsync(string root)
    {
        var mounts = File.ReadLines("/proc/mounts").Select(l => l.Split(' ')).Where(f => f.Length > 1)
            .Select(f => f[1].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(m => m.StartsWith(root + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length).ToList();
        foreach (var mount in mounts) await Tools.RunAsync("umount", ["-l", mount], TimeSpan.FromSeconds(30));
    }
}

/// <summary>The container specs share one image build and run one at a time (builds and containers use both cores).</summary>
[CollectionDefinition(nameof(ContainerCollection), DisableParallelization = true)]
public sealed class ContainerCollection : ICollectionFixture<ContainerImages>;
