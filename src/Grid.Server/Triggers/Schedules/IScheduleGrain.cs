namespace Grid.Server.Triggers.Schedules;

/// <summary>One schedule's firing, cluster-wide, keyed "account/name" (<see cref="Schedule.GrainKey"/>).</summary>
public interface IScheduleGrain : IGrainWithStringKey
{
    /// <summary>
    /// Makes the reminder follow the stored schedule (registered while it exists and is enabled, removed otherwise) and
    /// fires anything due. Called after every change through the API and for every schedule at node start.
    /// </summary>
    Task Sync();
}
