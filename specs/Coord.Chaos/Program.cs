using Coord.Chaos.Checking;
using Coord.Chaos.History;

namespace Coord.Chaos;

/// <summary>
/// coord-chaos (for now only <c>check</c>): <c>check HISTORY.jsonl [--budget-seconds N]</c> prints the verdict and
/// exits 0 when the history passes, 1 on a violation, 3 when the search budget ran out, 2 on bad usage or input.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 2 || args[0] != "check")
        {
            Console.Error.WriteLine("usage: coord-chaos check HISTORY.jsonl [--budget-seconds N]");
            return 2;
        }

        var budget = TimeSpan.FromMinutes(2);
        for (var i = 2; i < args.Length; i++)
        {
            if (args[i] == "--budget-seconds" && i + 1 < args.Length && double.TryParse(args[i + 1],
                    System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0)
            {
                budget = TimeSpan.FromSeconds(s);
                i++;
            }
            else
            {
                Console.Error.WriteLine($"coord-chaos: unexpected argument '{args[i]}'");
                return 2;
            }
        }

        OpHistory history;
        try
        {
            history = HistoryJson.ReadFile(args[1]);
        }
        catch (HistoryFormatException e)
        {
            Console.Error.WriteLine($"coord-chaos: {e.Message}");
            return 2;
        }

        var verdict = Checker.Check(history, new CheckOptions(Budget: budget));
        Console.WriteLine(verdict);
        return verdict.Kind switch
        {
            VerdictKind.Ok => 0,
            VerdictKind.Violation => 1,
            _ => 3,
        };
    }
}
