using Grid.Server.Storage;

namespace Grid.Server.Control;

/// <summary>
/// What a qualifier resolves to for invoking: one version, or an alias's version plus the additional version it sends
/// a share of traffic to. Picking costs one random number, so weighted routing adds nothing measurable to an invoke.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record InvokeTarget(
    [property: Id(0)] FunctionRecord Primary,
    [property: Id(1)] FunctionRecord? Additional = null,
    [property: Id(2)] double AdditionalWeight = 0)
{
    public FunctionRecord Pick() => Additional is not null && Random.Shared.NextDouble() < AdditionalWeight ? Additional : Primary;
}
