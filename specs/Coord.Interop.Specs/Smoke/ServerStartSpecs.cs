using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Smoke;

/// <summary>The harness itself: each kind starts, answers ruok/srvr and stops cleanly.</summary>
public sealed class ServerStartSpecs
{
    public static TheoryData<string> Kinds => Servers.KindData;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Server_starts_answers_four_letter_words_and_stops(string kind)
    {
        string dataDir;
        int pid;
        await using (var server = await Servers.StartAsync(kind))
        {
            Assert.Equal(kind, server.Kind);
            Assert.Equal($"{server.Host}:{server.Port}", server.ConnectString);
            Assert.Equal("imok", await server.FourLetterWordAsync("ruok"));
            Assert.Contains("Mode: standalone", await server.FourLetterWordAsync("srvr"));
            dataDir = server.DataDir;
            pid = server.Pid;
            Assert.True(Directory.Exists(dataDir));
        }

        Assert.False(Directory.Exists(dataDir), "the temp folder is deleted on dispose");
        Assert.False(IsAlive(pid), "the process is stopped on dispose");
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
