using BenchmarkDotNet.Attributes;
using MiAudit.Detection;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Rules;
using MiAudit.Flows;

namespace MiAudit.Benchmarks;

/// <summary>Detection on one core: a mixed corpus per operation (report divides by its size for requests/s).</summary>
[MemoryDiagnoser]
public class DetectionBenchmarks
{
    private DetectionEngine _engine = null!;
    private IReadOnlyList<Flow> _corpus = [];

    public IReadOnlyList<Flow> Requests => _corpus;

    [GlobalSetup]
    public void Setup()
    {
        var profile = DeviceProfile.Parse($"identifiers:\n  android_id: {Corpus.AndroidId}\n  imei: \"861234567890125\"\n  advertising_id: 38400000-8cf0-11bd-b23e-10b96e40000d\n  mac: a4:50:46:12:34:56\nattributes:\n  model: Redmi Note 8 Pro\n", "bench.yaml");
        _engine = new DetectionEngine(RuleSet.BuiltIn(), profile);
        _engine.ObserveRequest(Corpus.Navigation);
        for (var i = 0; i < 200; i++)
        {
            _engine.ObserveRequest(Corpus.Navigation with { Path = $"/politics/article-{i}" });
        }

        _corpus = Corpus.Mixed();
    }

    /// <summary>All requests of the corpus, once each.</summary>
    [Benchmark(OperationsPerInvoke = 9)]
    public int MixedCorpus()
    {
        var findings = 0;
        foreach (var flow in _corpus)
        {
            findings += _engine.Analyze(Fresh(flow)).Findings.Count;
        }

        return findings;
    }

    /// <summary>One request, for the per-request breakdown of the quick estimate.</summary>
    public int Analyze(Flow flow) => _engine.Analyze(Fresh(flow)).Findings.Count;

    [Benchmark]
    public int OrdinaryAssetRequest() => _engine.Analyze(Fresh(_corpus[0])).Findings.Count;

    [Benchmark]
    public int AndroidGzipBatch() => _engine.Analyze(Fresh(_corpus[7])).Findings.Count;

    /// <summary>
    /// Each analysis is of another request, as in live traffic: findings reported once per destination (the browser's
    /// own User-Agent) stay with the first request, instead of coming back each time the same flow is analysed again.
    /// </summary>
    private static Flow Fresh(Flow flow) => flow with { Id = new Guid(Interlocked.Increment(ref _analyses), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) };

    private static int _analyses; // ids from a counter: a random one costs a getrandom call, which is not detection's
}
