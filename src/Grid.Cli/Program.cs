return await Grid.Cli.GridCommandLine.RunAsync(args);
