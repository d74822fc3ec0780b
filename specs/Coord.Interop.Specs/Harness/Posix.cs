using System.Runtime.InteropServices;

namespace Coord.Interop.Specs.Harness;

/// <summary>Signals that System.Diagnostics.Process does not offer (it only has SIGKILL).</summary>
internal static class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Sends a signal; false when the process is already gone.</summary>
    public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;
}
