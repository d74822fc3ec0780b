namespace Coord.Bench;

/// <summary>One row of the plan: a workload, the driver that runs it, and C×K.</summary>
public sealed record PlannedRun(Workload Workload, string Driver, Shape Shape)
{
    public string RowKey => $"{Workload.Name()}|{Driver}|{Shape}";
}

/// <summary>What runs, and the dispatch of one planned run to its implementation.</summary>
public static class WorkloadRun
{
    public static readonly string[] DriverNames = ["raw", "client", "java"];

    /// <summary>
    /// Every (workload, driver, C×K) the options ask for. The java and client drivers run only the basic
    /// workloads; watch and the scale workloads do not depend on C×K and run once, at the first shape.
    /// Large values run with K capped (<see cref="Setup.EffectiveShape"/>), so their row names the real K.
    /// </summary>
    public static IReadOnlyList<PlannedRun> Plan(BenchOptions o)
    {
        var plan = new List<PlannedRun>();
        foreach (var w in o.Workloads)
        {
            bool perShape = w.IsBasic() || w is Workload.Large64k or Workload.Large1m or Workload.Churn;
            foreach (var shape in perShape ? o.Shapes : o.Shapes.Take(1))
            {
                foreach (var driver in o.Drivers)
                {
                    if (driver != "raw" && !w.IsBasic()) continue;
                    var run = new PlannedRun(w, driver, Setup.EffectiveShape(w, shape, o));
                    if (!plan.Contains(run)) plan.Add(run);
                }
                if (!w.IsBasic() && !o.Drivers.Contains("raw"))
                {
                    var run = new PlannedRun(w, "raw", Setup.EffectiveShape(w, shape, o));
                    if (!plan.Contains(run)) plan.Add(run);
                }
            }
        }
        return plan;
    }

    /// <summary>Runs one planned run; a failure becomes a failed result rather than ending the session.</summary>
    public static async Task<RunResult> RunAsync(Target target, PlannedRun run, BenchOptions o, CancellationToken ct)
    {
        try
        {
            return (run.Workload, run.Driver) switch
            {
                (Workload.Watch, _) => await WatchFanOut.RunAsync(target, run.Shape, o, ct),
                (Workload.Churn, _) => await Churn.RunAsync(target, run.Shape, o, ct),
                (Workload.Znodes1m, _) => await Scale.ZnodesAsync(target, run.Shape, o, ct),
                (Workload.Sessions10k, _) => await Scale.SessionsAsync(target, run.Shape, o, ct),
                (Workload.Watches1m, _) => await Scale.WatchesAsync(target, run.Shape, o, ct),
                (_, "client") => await ClientDriver.RunAsync(target, run.Workload, run.Shape, o, ct),
                (_, "java") => await JavaDriver.RunAsync(target, run.Workload, run.Shape, o, ct),
                _ => await RawDriver.RunAsync(target, run.Workload, run.Shape, o, ct),
            };
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or InvalidOperationException or TimeoutException
                                      or System.Net.Sockets.SocketException or OperationCanceledException or Coord.Client.CoordException)
        {
            return RunResult.Failed(target, run.Workload, run.Driver, run.Shape, e.Message.Split('\n')[0]);
        }
    }
}
