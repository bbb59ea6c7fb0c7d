namespace MiAudit.Cli.Run;

/// <summary>
/// Gives memory back after a burst. A burst of connections (a page with a hundred resources, a scan) leaves tens of
/// MiB of garbage in the older generations, which the GC only collects when they fill up again: the process then
/// stays at its peak for as long as the phone is quiet. Once a second, if the process has been quiet (little
/// allocated since the last look) and the heap grew well past where the last trim left it, one compacting collection
/// returns the memory to the system. Under load it never runs, so it never pauses forwarding.
/// </summary>
internal sealed class MemoryTrimmer : IAsyncDisposable
{
    private const long QuietBytesPerSecond = 4L << 20;
    private const long GrowthWorthTrimming = 32L << 20;

    private readonly PeriodicTimer _timer = new(TimeSpan.FromSeconds(1));
    private readonly Task _loop;

    public MemoryTrimmer() => _loop = RunAsync();

    private async Task RunAsync()
    {
        var allocated = GC.GetTotalAllocatedBytes();
        var trimmedAt = GC.GetGCMemoryInfo().TotalCommittedBytes;
        while (await _timer.WaitForNextTickAsync())
        {
            var now = GC.GetTotalAllocatedBytes();
            var quiet = now - allocated < QuietBytesPerSecond;
            allocated = now;
            if (quiet && GC.GetGCMemoryInfo().TotalCommittedBytes > trimmedAt + GrowthWorthTrimming)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                trimmedAt = GC.GetGCMemoryInfo().TotalCommittedBytes;
                allocated = GC.GetTotalAllocatedBytes();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _loop;
    }
}
