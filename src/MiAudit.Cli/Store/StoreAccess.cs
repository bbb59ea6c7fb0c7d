using MiAudit.Storage;

namespace MiAudit.Cli.Store;

/// <summary>Opens the evidence store for a command, turning storage errors into one-line CLI errors.</summary>
internal static class StoreAccess
{
    /// <param name="mustExist">For commands that change an existing audit: a missing file is an error, not a new database.</param>
    public static async Task<int> WithStoreAsync(string location, bool readOnly, Func<IAuditStore, Task<int>> action, bool mustExist = false)
    {
        IAuditStore store;
        try
        {
            store = AuditStores.Open(location, readOnly, mustExist);
        }
        catch (StorageException e)
        {
            return Report.Error(e.Message, ExitCodes.Failure);
        }

        using (store)
        {
            try
            {
                return await action(store);
            }
            catch (Exception e) when (e is UsageException or DuplicateSessionLabelException)
            {
                return Report.Error(e.Message, ExitCodes.Usage);
            }
            catch (StorageException e)
            {
                return Report.Error(e.Message, ExitCodes.Failure);
            }
            catch (System.Data.Common.DbException e)
            {
                // The server went away mid-command, or the file was locked past the timeout: one line, not a stack.
                return Report.Error($"{store.Location}: {e.Message}", ExitCodes.Failure);
            }
        }
    }

    /// <summary>Progress on standard error, only when a person is watching.</summary>
    public static Action<long>? Progress(string unit) =>
        Console.IsErrorRedirected ? null : count => Console.Error.Write($"\r{count:N0} {unit}…");
}
