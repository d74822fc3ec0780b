namespace Coord.Interop.Specs.Harness;

/// <summary>Keeps the last lines a child process wrote, for error messages. Thread-safe.</summary>
public sealed class OutputTail(int linesMax = 200)
{
    private readonly Queue<string> lines = new();
    private readonly Lock gate = new();

    private readonly List<(Func<string, bool> Match, System.Collections.Concurrent.ConcurrentQueue<string> Into)> watches = [];

    /// <summary>Every line added from now on that matches goes into the returned queue (the tail keeps only the
    /// last lines; a spec that must see all error lines of a long run watches for them).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Watch(Func<string, bool> match)
    {
        var into = new System.Collections.Concurrent.ConcurrentQueue<string>();
        lock (gate)
        {
            watches.Add((match, into));
        }

        return into;
    }

    public void Add(string line)
    {
        lock (gate)
        {
            foreach (var (match, into) in watches)
            {
                if (match(line))
                {
                    into.Enqueue(line);
                }
            }

            lines.Enqueue(line);
            while (lines.Count > linesMax)
            {
                lines.Dequeue();
            }
        }
    }

    public string Text(int lastLines = 40)
    {
        lock (gate)
        {
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Count - lastLines)));
        }
    }
}
