using System.Diagnostics;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Writing;

namespace MiAudit.Benchmarks;

/// <summary>How many flows per second the store writes (a browsing-like flow: headers, small bodies, no findings).</summary>
public static class WriterBenchmark
{
    public static int Run(int flows = 100_000)
    {
        var directory = Directory.CreateTempSubdirectory("miaudit-writer-bench").FullName;
        try
        {
            using var connection = AuditDatabase.Open(Path.Combine(directory, "w.db"));
            var session = new SessionStore(connection).Start("writer benchmark", "bench", "hash", null, null, DateTimeOffset.UtcNow);
            var template = Corpus.Mixed()[1] with
            {
                ResponseHeaders = [new("Content-Type", "application/json"), new("Content-Length", "512"), new("Cache-Control", "no-store"), new("Date", "Wed, 25 Nov 2026 10:00:00 GMT")],
                ResponseBody = CapturedBody.From(new byte[512]),
            };
            var clock = Stopwatch.StartNew();
            using (var writer = new BatchWriter(connection, "hash"))
            {
                for (var i = 0; i < flows; i++)
                {
                    writer.Insert(session, new FlowRecord(template with { Id = Guid.CreateVersion7() }, [], [], KeepBodies: i % 10 == 0));
                }
            }

            Console.WriteLine($"{flows / clock.Elapsed.TotalSeconds:N0} flows/s written ({flows:N0} in {clock.Elapsed.TotalSeconds:N1} s)");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
