using Microsoft.AspNetCore.Http;

namespace MiAudit.Ui.Api;

/// <summary>
/// Server-sent events: the newest flow's row id, whenever it changes (checked every interval), so the list fetches
/// what arrived without a reload. It asks the store rather than the proxy: a flow is shown once it is on disk, and the
/// same stream serves <c>miaudit ui</c> over a database another process writes.
/// </summary>
internal static class LiveEvents
{
    /// <param name="stopping">The UI is stopping: the stream ends, or it would hold the stop up.</param>
    public static async Task StreamAsync(HttpContext context, Func<Task<long>> latest, TimeSpan interval, CancellationToken stopping)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var aborted = both.Token;
        long last = -1;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                var newest = await latest();
                if (newest != last)
                {
                    last = newest;
                    await context.Response.WriteAsync($"event: flows\ndata: {newest}\n\n", aborted);
                    await context.Response.Body.FlushAsync(aborted);
                }

                await Task.Delay(interval, aborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The page was closed or the UI is stopping.
        }
    }
}
