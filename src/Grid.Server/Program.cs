using Grid.Server.Hosting;

// Grid node: `Grid.Server [run]` starts a node; `Grid.Server migrate` prepares PostgreSQL for cluster mode;
// `Grid.Server keys create --account <12 digits>` adds an access key.
return await NodeCommands.RunAsync(args);
