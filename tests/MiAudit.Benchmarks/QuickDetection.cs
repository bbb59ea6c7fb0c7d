using System.Diagnostics;

namespace MiAudit.Benchmarks;

/// <summary>A fast single-core estimate of detection throughput, for quick checks while tuning (BenchmarkDotNet is the reference).</summary>
public static class QuickDetection
{
    public static int Run()
    {
        var benchmark = new DetectionBenchmarks();
        benchmark.Setup();
        for (var i = 0; i < 20_000; i++)
        {
            benchmark.MixedCorpus();
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        const int rounds = 50_000;
        for (var i = 0; i < rounds; i++)
        {
            benchmark.MixedCorpus();
        }

        clock.Stop();
        var requests = rounds * 9.0;
        Console.WriteLine($"{requests / clock.Elapsed.TotalSeconds:N0} requests/s on one thread; {(GC.GetTotalAllocatedBytes(precise: true) - before) / requests:N0} bytes allocated per request");

        // Per request of the corpus, to see where tuning pays.
        for (var i = 0; i < benchmark.Requests.Count; i++)
        {
            var flow = benchmark.Requests[i];
            const int repeats = 20_000;
            before = GC.GetTotalAllocatedBytes(precise: true);
            clock.Restart();
            for (var r = 0; r < repeats; r++)
            {
                benchmark.Analyze(flow);
            }

            clock.Stop();
            Console.WriteLine($"  {clock.Elapsed.TotalMicroseconds / repeats,7:F1} µs {(GC.GetTotalAllocatedBytes(precise: true) - before) / repeats,7:N0} B  {flow.Method} {flow.Host}{flow.Path}");
        }

        return 0;
    }
}
