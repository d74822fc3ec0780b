using System.Buffers.Binary;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;

namespace Coord.Interop.Specs.Fuzz;

/// <summary>
/// The committed seed corpus (<c>Fuzz/corpus/*.bin</c>) and how it is regenerated: real clients (kazoo,
/// the Java client via zkCli.sh, and a short differential.py run) talk to Apache ZooKeeper through the
/// <see cref="RecordingProxy"/>. Regeneration writes into the source tree only when
/// <c>COORD_FUZZ_REGEN_CORPUS=1</c>; otherwise it records into a temp folder and checks coverage
/// (skip it in CI with <c>--filter Category!=CorpusRegen</c>).
/// </summary>
public sealed class CorpusSpecs(ITestOutputHelper output)
{
    public const int CorpusBytesMax = 200 * 1024;

    /// <summary>Corpus frames above this size are dropped when saving (keeps the corpus small).</summary>
    public const int SavedFrameBytesMax = 8 * 1024;

    /// <summary>Request opcodes the corpus must contain (create, delete, exists, getData, setData, getACL,
    /// setACL, getChildren, sync, ping, getChildren2, multi, create2, auth, getEphemerals,
    /// getAllChildrenNumber, addWatch, whoAmI, closeSession).</summary>
    public static readonly int[] RequiredOpCodes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 100, 103, 104, 106, 107, -11];

    public const string ZkCliScript = """
        create /x data
        create -e /x/e eph
        create -s /x/s seq
        create -c /x/c
        create /x/c/kid k
        create -t 60000 /x/ttl t
        addWatch -m PERSISTENT_RECURSIVE /x
        addWatch -m PERSISTENT /x/c
        get -w /x
        set /x v2
        set -v 1 /x v3
        set -v 7 /x bad
        stat -w /x/s0000000001
        ls -R /x
        ls -s -w /x
        addauth digest zk:pw
        setAcl /x/e auth:zk:pw:cdrwa
        setAcl -v 0 /x/s0000000001 world:anyone:r
        getAcl /x/e
        get /x/e
        sync /x
        whoami
        getEphemerals
        getAllChildrenNumber /x
        removewatches /x -a
        delete -v 0 /x/c/kid
        deleteall /x
        quit

        """;

    [Fact]
    public void Committed_corpus_is_small_well_formed_and_covers_the_protocol()
    {
        var corpus = FuzzCorpus.Load();
        var bytes = corpus.Sum(c => c.Frames.Sum(f => f.Length));
        output.WriteLine($"{corpus.Count} connections, {corpus.Sum(c => c.Frames.Count)} frames, {bytes} bytes");
        Assert.InRange(bytes, 1, CorpusBytesMax);
        Assert.Contains(corpus, c => c.Name.StartsWith("kazoo", StringComparison.Ordinal));
        Assert.Contains(corpus, c => c.Name.StartsWith("zkcli", StringComparison.Ordinal));
        Assert.All(corpus, c => Assert.True(FrameMutator.LooksLikeConnect(c.Connect), $"{c.Name}: first frame is a ConnectRequest"));
        AssertCovers(corpus);
    }

    [Fact]
    [Trait("Category", "CorpusRegen")]
    public async Task Corpus_regenerates_from_kazoo_and_zkCli_against_ZooKeeper()
    {
        var recorded = await RecordAsync(output);
        AssertCovers(recorded);
        var bytes = recorded.Sum(c => c.Frames.Sum(f => f.Length));
        Assert.InRange(bytes, 1, CorpusBytesMax);
        if (Environment.GetEnvironmentVariable("COORD_FUZZ_REGEN_CORPUS") == "1")
        {
            var dir = FuzzCorpus.Directory;
            Directory.CreateDirectory(dir);
            foreach (var old in Directory.GetFiles(dir, "*.bin"))
            {
                File.Delete(old);
            }

            foreach (var c in recorded)
            {
                FuzzCorpus.Save(Path.Combine(dir, c.Name + ".bin"), c.Frames);
            }

            output.WriteLine($"wrote {recorded.Count} files ({bytes} bytes) to {dir}");
        }
    }

    /// <summary>Records kazoo, zkCli and a short differential run against a fresh Apache ZooKeeper.</summary>
    public static async Task<IReadOnlyList<CorpusConnection>> RecordAsync(ITestOutputHelper? log = null)
    {
        await using var zk = await Servers.StartAsync("zookeeper");
        var result = new List<CorpusConnection>();

        async Task Record(string name, Func<string, Task<ProcessResult>> drive)
        {
            IReadOnlyList<RecordedConnection> connections;
            await using (var proxy = new RecordingProxy(zk.Host, zk.Port))
            {
                var run = await drive(proxy.ConnectString);
                log?.WriteLine($"{name}: exit {run.ExitCode}");
                Assert.True(run.ExitCode == 0, $"{name} failed:\n{run}");
                await proxy.DisposeAsync();
                connections = proxy.Connections;
            }

            var n = 0;
            foreach (var c in connections)
            {
                var frames = c.Frames.Where(f => f.Length <= SavedFrameBytesMax).ToList();
                if (frames.Count >= 2 && FrameMutator.LooksLikeConnect(frames[0]))
                {
                    result.Add(new CorpusConnection($"{name}-{++n:D2}", frames));
                }
            }
        }

        var specs = RepoPaths.SpecsDir;
        await Record("kazoo", hp => Tools.RunAsync(Tools.Python,
            [Path.Combine(specs, "Fuzz", "corpus_kazoo.py"), hp], TimeSpan.FromMinutes(1)));
        await Record("zkcli", hp => Tools.RunAsync(Tools.ZkCli, ["-server", hp], TimeSpan.FromMinutes(1),
            stdin: ZkCliScript.Replace("\r", "", StringComparison.Ordinal)));
        await Record("diff", hp => Tools.RunAsync(Tools.Python,
            [Path.Combine(specs, "Differential", "differential.py"), "--seed", "7", "--ops", "500", "--sessions", "3",
                "--root", "/dc", "--serial", hp, zk.ConnectString], TimeSpan.FromMinutes(1)));
        return result;
    }

    private static void AssertCovers(IReadOnlyList<CorpusConnection> corpus)
    {
        var ops = corpus.SelectMany(c => c.Requests).Where(f => f.Length >= 12)
            .Select(f => BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(8))).ToHashSet();
        var missing = RequiredOpCodes.Where(o => !ops.Contains(o)).ToList();
        Assert.True(missing.Count == 0, $"corpus lacks opcodes {string.Join(", ", missing)}; has {string.Join(", ", ops.Order())}");
    }
}
