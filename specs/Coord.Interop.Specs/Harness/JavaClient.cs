using System.Security.Cryptography;

namespace Coord.Interop.Specs.Harness;

/// <summary>
/// Compiles java/InteropClient.java against Debian's zookeeper.jar once per source hash (cached under
/// /tmp/coord-interop-java/HASH) and builds the java command line to run it.
/// </summary>
public static class JavaClient
{
    /// <summary>The client jar's manifest pulls in its dependencies; slf4j-nop silences its logging.</summary>
    public const string ClientClasspath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar";

    private static readonly SemaphoreSlim CompileGate = new(1, 1);
    private static string? classDir;

    public static async Task<string> ClassDirAsync()
    {
        await CompileGate.WaitAsync();
        try
        {
            if (classDir is not null)
            {
                return classDir;
            }

            var source = Path.Combine(RepoPaths.SpecsDir, "java", "InteropClient.java");
            var hash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(source)))[..16];
            var dir = Path.Combine(Path.GetTempPath(), "coord-interop-java", hash);
            if (!File.Exists(Path.Combine(dir, "InteropClient.class")))
            {
                // compile into a private folder and rename, so concurrent test runs never see half a build
                var staging = dir + "." + Guid.NewGuid().ToString("N");
                Directory.CreateDirectory(staging);
                var result = await Tools.RunAsync(Tools.Javac, ["-d", staging, "-cp", ClientClasspath, source],
                    TimeSpan.FromSeconds(120));
                if (result.ExitCode != 0)
                {
                    throw new InvalidOperationException($"javac failed:\n{result}");
                }

                try
                {
                    Directory.Move(staging, dir);
                }
                catch (IOException) when (File.Exists(Path.Combine(dir, "InteropClient.class")))
                {
                    TempDir.Delete(staging);
                }
            }

            classDir = dir;
            return dir;
        }
        finally
        {
            CompileGate.Release();
        }
    }

    /// <summary>Arguments for <see cref="Tools.Java"/> running one case of InteropClient.</summary>
    public static async Task<string[]> ArgsAsync(params string[] caseArgs) =>
    [
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
        "-cp", $"{await ClassDirAsync()}:{ClientClasspath}",
        "InteropClient", .. caseArgs,
    ];
}
