using Grid.Server.Hosting;
using Grid.Server.Storage;

namespace Grid.Server.Triggers.Schedules;

/// <summary>Wires schedules into a node: services, and the Orleans reminder storage they fire from.</summary>
public static class ScheduleHosting
{
    public static IServiceCollection AddGridSchedules(this IServiceCollection services) =>
        services.AddSingleton<ScheduleStore>().AddSingleton<ScheduleFirer>().AddHostedService<ScheduleReconciler>();

    /// <summary>
    /// Reminders persist in the node's own database with the ADO.NET provider: PostgreSQL in cluster mode (schema
    /// postgres/0002), and in embedded mode the SQLite file (schema sqlite/0007; 10.4.2's invariant "System.Data.SQLite"
    /// loads Microsoft.Data.Sqlite), so schedules fire again after a restart in both modes.
    /// </summary>
    public static ISiloBuilder UseGridReminders(this ISiloBuilder silo, GridOptions options, Database database) =>
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = database.IsPostgres ? "Npgsql" : "System.Data.SQLite";
            // NpgsqlDataSource hides the password from its ConnectionString: use the configured one.
            o.ConnectionString = database.IsPostgres ? options.PostgresConnectionString : database.DataSource.ConnectionString;
        });
}
