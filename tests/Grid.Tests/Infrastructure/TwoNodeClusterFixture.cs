namespace Grid.Tests.Infrastructure;

/// <summary>Two nodes on one PostgreSQL: <see cref="NodeFixture.Node"/> and <see cref="Second"/>.</summary>
public class TwoNodeClusterFixture : ClusterNodeFixture
{
    public GridNode Second { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Second = await StartNodeAsync("node2");
    }

    public override async Task DisposeAsync()
    {
        if (Second is not null) await Second.DisposeAsync();
        await base.DisposeAsync();
    }
}
