namespace MiAudit.Storage.Tests;

internal static class Eventually
{
    /// <summary>Polls until <paramref name="probe"/> returns rows (no timing assertion: the bound only ends a hung test).</summary>
    public static async Task<List<long>> RowsAsync(Func<List<long>> probe)
    {
        for (var i = 0; i < 300; i++)
        {
            if (probe() is { Count: > 0 } rows)
            {
                return rows;
            }

            await Task.Delay(50);
        }

        return probe();
    }
}
