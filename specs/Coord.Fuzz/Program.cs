using Coord.Fuzz;

// coord-fuzz: afl-fuzz targets for the client frame decoder and the peer-message decoder (README.md).
//   coord-fuzz frame|frame-core|peer       under afl-fuzz: SharpFuzz's fork server, one input per run from stdin
//                                          (without afl-fuzz: runs stdin once)
//   coord-fuzz replay frame|peer [PATH...] runs files or folders (default: the committed corpus) through the
//                                          target; prints how each ended, exit 1 on any finding
//   coord-fuzz seed frame|peer DIR         writes the seed inputs into DIR

return args switch
{
    [var target] when Target(target) is { } run => Afl(run),
    ["replay", var target, .. var paths] when Target(target) is { } run => Replay(Corpus(target), run, paths),
    ["seed", var target, var dir] when target is FuzzCorpusFiles.Frame or FuzzCorpusFiles.Peer => Seed(target, dir),
    _ => Usage(),
};

static Func<byte[], string>? Target(string name) => name switch
{
    FuzzCorpusFiles.Frame => input => FrameTarget.Run(input).ToString(),
    "frame-core" => input => FrameCoreTarget.Run(input).ToString(),
    FuzzCorpusFiles.Peer => input => PeerTarget.Run(input).ToString(),
    _ => null,
};

// frame-core reads the frame target's inputs: one corpus for both.
static string Corpus(string target) => target == "frame-core" ? FuzzCorpusFiles.Frame : target;

static int Afl(Func<byte[], string> run)
{
    SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
    {
        using var input = new MemoryStream();
        stream.CopyTo(input);
        run(input.ToArray());
    });
    return 0;
}

static int Replay(string target, Func<byte[], string> run, string[] paths)
{
    var files = paths.Length == 0
        ? FuzzCorpusFiles.Files(target, Environment.CurrentDirectory)
        : paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]).ToList();
    int findings = 0;
    foreach (var file in files)
    {
        try
        {
            Console.WriteLine($"{Path.GetFileName(file)}: {run(File.ReadAllBytes(file))}");
        }
        catch (Exception e)
        {
            findings++;
            Console.WriteLine($"{Path.GetFileName(file)}: FINDING {e}");
        }
    }
    Console.WriteLine($"{target}: {files.Count} inputs, {findings} findings");
    return findings == 0 ? 0 : 1;
}

static int Seed(string target, string dir)
{
    Directory.CreateDirectory(dir);
    var seeds = target == FuzzCorpusFiles.Frame
        ? FrameSeeds.All(Path.Combine(FuzzCorpusFiles.RepositoryRoot(Environment.CurrentDirectory), "specs", "Coord.Interop.Specs", "Fuzz", "corpus"))
        : PeerSeeds.All();
    int n = 0;
    foreach (var (name, input) in seeds)
    {
        File.WriteAllBytes(Path.Combine(dir, name + ".bin"), input);
        n++;
    }
    Console.WriteLine($"{target}: {n} seeds written to {dir}");
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: coord-fuzz frame|peer | coord-fuzz replay frame|peer [FILE|DIR...] | coord-fuzz seed frame|peer DIR");
    return 2;
}
