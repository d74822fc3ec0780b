using Coord.Host.Cli;

return await CoordCli.RunAsync(args);
