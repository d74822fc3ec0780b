namespace Coord.Interop.Specs.Harness;

/// <summary>Keeps the last lines a child process wrote, for error messages. Thread-safe.</summary>
public sealed class OutputTail(int linesMax = 200)
{
    private readonly Queue<string> lines = new();
    private readonly Lock gate = new();

    public void Add(string line)
    {
        lock (gate)
        {
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
