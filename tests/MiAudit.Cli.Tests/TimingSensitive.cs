namespace MiAudit.Cli.Tests;

/// <summary>
/// Tests whose promise has a deadline (a flow answered a second before a kill -9 is on disk) run alone: sharing two
/// cores with a test that drives four proxies or packs the tool measures the machine, not MiAudit.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive";
}
