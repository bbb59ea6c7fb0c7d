using BenchmarkDotNet.Running;
using MiAudit.Benchmarks;

// dotnet run -c Release --project tests/MiAudit.Benchmarks -- detection     BenchmarkDotNet, detection on one core
// dotnet run -c Release --project tests/MiAudit.Benchmarks -- export        export (CSV, JSONL, Parquet) and HTML report of 1,000,000 findings: time and peak memory
// dotnet run -c Release --project tests/MiAudit.Benchmarks -- search-index [N]   the UI's search index: writer throughput with and without it, size
// dotnet run -c Release --project tests/MiAudit.Benchmarks -- lab [N] [M]   N live writers (default 4) × M flows into one PostgreSQL, against SQLite
return args.FirstOrDefault() switch
{
    "export" => await ExportBenchmark.RunAsync(args.Skip(1).ToArray()),
    "quick" => QuickDetection.Run(),
    "writer" => WriterBenchmark.Run(),
    "lab" => await LabStoreBenchmark.RunAsync(args.Skip(1).ToArray()),
    "search-index" => await SearchIndexBenchmark.RunAsync(args.Skip(1).ToArray()),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromTypes([typeof(DetectionBenchmarks)]).Run(args.Where(a => a != "detection").ToArray());
    return 0;
}
