using BenchmarkDotNet.Running;

namespace Coord.Micro;

/// <summary>Micro-benchmarks of the server's hot paths, without sockets. See README.md for how to run them.</summary>
public static class MicroProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(MicroProgram).Assembly).Run(args);
}
