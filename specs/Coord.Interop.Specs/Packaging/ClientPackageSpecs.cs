using System.IO.Compression;
using Coord.Client;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Packaging;

/// <summary>Runs alone: it builds with MSBuild on both cores, which would skew the timing of the other specs.</summary>
[CollectionDefinition(nameof(PackagingCollection), DisableParallelization = true)]
public sealed class PackagingCollection;

/// <summary>
/// `dotnet pack Coord.Client` makes a package a user can consume: the nupkg holds the assembly, its XML docs and
/// the README, and samples/Coord.Client.Sample, built from that package (never from the project), runs against a
/// live `coord serve`. The C# blocks of Coord.Client/README.md are compiled in the same build.
/// </summary>
/// <remarks>
/// The package gets a version of its own per run and the sample restores into an empty packages folder, so a
/// Coord.Client cached by an earlier run (or by someone's `dotnet run` of the sample) can never be used. Coord.Client's
/// dependency comes from the machine's usual package sources. Everything is built under one temp folder, deleted
/// at the end; nothing is written into the checkout.
/// </remarks>
[Collection(nameof(PackagingCollection))]
public sealed class ClientPackageSpecs
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Pack_holds_the_dll_docs_and_readme_and_the_sample_runs_from_the_package()
    {
        string work = TempDir.Create("pack");
        try
        {
            string version = $"0.1.0-ci.{DateTime.UtcNow.Ticks}";
            string feed = Path.Combine(work, "feed");
            string readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "Coord.Client", "README.md"));

            // 1. Pack, with every build output under the temp folder (--artifacts-path), not in Coord.Client/bin.
            await DotnetAsync("pack", Path.Combine(RepoPaths.Root, "Coord.Client", "Coord.Client.csproj"),
                "-c", "Release", "-o", feed, $"-p:Version={version}", "--artifacts-path", Path.Combine(work, "artifacts"));
            string nupkg = Path.Combine(feed, $"Coord.Client.{version}.nupkg");
            Assert.True(File.Exists(nupkg), $"{nupkg} missing; the feed holds: {string.Join(", ", Directory.GetFiles(feed))}");
            AssertPackageContents(nupkg, version, readme);

            // 2. A copy of the sample (and of the samples' Directory.*.props, which keep the repository's out),
            //    the README's C# blocks beside it, and a nuget.config adding the temp feed to the usual sources.
            string sample = Path.Combine(work, "sample");
            Directory.CreateDirectory(sample);
            string samples = Path.Combine(RepoPaths.Root, "samples");
            foreach (string file in Directory.GetFiles(Path.Combine(samples, "Coord.Client.Sample"), "*.cs*"))
            {
                File.Copy(file, Path.Combine(sample, Path.GetFileName(file)));
            }

            File.Copy(Path.Combine(samples, "Directory.Build.props"), Path.Combine(work, "Directory.Build.props"));
            File.Copy(Path.Combine(samples, "Directory.Packages.props"), Path.Combine(work, "Directory.Packages.props"));
            var blocks = ReadmeSnippets.Blocks(readme);
            Assert.True(blocks.Count >= 8, $"expected the README's C# examples, found {blocks.Count} csharp blocks");
            await File.WriteAllTextAsync(Path.Combine(sample, "ReadmeBlocks.cs"), ReadmeSnippets.ToCompilationUnit(blocks));
            await File.WriteAllTextAsync(Path.Combine(work, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="coord-spec-feed" value="{feed}" />
                  </packageSources>
                </configuration>
                """);

            // 3. Build it against the package, restoring into an empty packages folder.
            string packages = Path.Combine(work, "packages");
            await DotnetAsync("build", Path.Combine(sample, "Coord.Client.Sample.csproj"), "-c", "Release",
                $"-p:CoordClientVersion={version}", $"-p:RestorePackagesPath={packages}");
            Assert.True(Directory.Exists(Path.Combine(packages, "coord.client", version)), "Coord.Client was restored from the temp feed");

            // 4. Run it against a live server.
            await using var server = await Servers.StartAsync("coord");
            string dll = Path.Combine(sample, "bin", "Release", "net10.0", "Coord.Client.Sample.dll");
            var run = await Tools.RunAsync("dotnet", [dll, server.ConnectString], TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 0, run.ToString());
            string[] lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string node = lines.Single(l => l.StartsWith("created ", StringComparison.Ordinal))["created ".Length..];
            Assert.Matches("^/coord-sample-[0-9]{10}$", node);
            string[] expected =
            [
                $"connected to {server.ConnectString}",
                $"created {node}",
                $"read {node}: \"hello\" version 0",
                $"watch fired: NodeDataChanged {node}",
                "stream: \"world\" version 1",
                "stream: \"again\" version 2",
                $"lock acquired: {node}/lock/_c_",
                "lock released: True",
                $"deleted {node}",
            ];
            var steps = lines.Where(l => !l.StartsWith("state: ", StringComparison.Ordinal)).ToArray();
            Assert.True(steps.Length == expected.Length && expected.Zip(steps).All(p => p.Second.StartsWith(p.First, StringComparison.Ordinal)),
                $"expected lines starting with:\n{string.Join('\n', expected)}\n{run}");

            // The sample cleaned up after itself.
            await using var client = await CoordClient.ConnectAsync(server.ConnectString);
            Assert.Null(await client.ExistsAsync(node));
        }
        finally
        {
            TempDir.Delete(work);
        }
    }

    private static void AssertPackageContents(string nupkg, string version, string readme)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (string required in new[] { "lib/net10.0/Coord.Client.dll", "lib/net10.0/Coord.Client.xml",
            "lib/net10.0/Coord.Protocol.dll", "README.md", "Coord.Client.nuspec" })
        {
            Assert.True(names.Contains(required), $"{required} not in the package: {string.Join(", ", names.Order())}");
        }

        Assert.Equal(readme, Read(zip, "README.md"));
        string docs = Read(zip, "lib/net10.0/Coord.Client.xml");
        Assert.Contains("<member name=\"T:Coord.Client.CoordClient\">", docs);
        Assert.Contains("<member name=\"T:Coord.Client.Recipes.DistributedLock\">", docs);

        string nuspec = Read(zip, "Coord.Client.nuspec");
        Assert.Contains("<id>Coord.Client</id>", nuspec);
        Assert.Contains($"<version>{version}</version>", nuspec);
        Assert.Contains("<authors>Coord developers</authors>", nuspec);
        Assert.Contains("<license type=\"expression\">Apache-2.0</license>", nuspec);
        Assert.Contains("<readme>README.md</readme>", nuspec);
        Assert.Contains("<description>", nuspec);
        Assert.Contains("<tags>zookeeper", nuspec);
    }

    private static string Read(ZipArchive zip, string entry)
    {
        using var reader = new StreamReader(zip.GetEntry(entry)!.Open());
        return reader.ReadToEnd();
    }

    /// <summary>Runs one dotnet command to exit 0 (NuGet finds the temp nuget.config from the project's folder, not
    /// from the working directory). No build server or reused MSBuild node may outlive it: one would
    /// hold the redirected output open and keep running after the test.</summary>
    private static async Task DotnetAsync(params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };
        string[] all = [.. args, "--disable-build-servers", "-nodeReuse:false", "-nologo", "-clp:ErrorsOnly"];
        var result = await Tools.RunAsync("dotnet", all, StepTimeout, env: env);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', all)}\n{result}");
    }
}
