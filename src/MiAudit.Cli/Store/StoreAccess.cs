using Microsoft.Data.Sqlite;
using MiAudit.Storage;

namespace MiAudit.Cli.Store;

/// <summary>Opens the evidence database for a command, turning storage errors into one-line CLI errors.</summary>
internal static class StoreAccess
{
    /// <param name="mustExist">For commands that change an existing audit: a missing file is an error, not a new database.</param>
    public static async Task<int> WithDatabaseAsync(FileInfo database, bool readOnly, Func<SqliteConnection, Task<int>> action, bool mustExist = false)
    {
        SqliteConnection connection;
        try
        {
            connection = AuditDatabase.Open(database.FullName, readOnly, mustExist);
        }
        catch (StorageException e)
        {
            return Report.Error(e.Message, ExitCodes.Failure);
        }

        await using (connection)
        {
            try
            {
                return await action(connection);
            }
            catch (Exception e) when (e is UsageException or DuplicateSessionLabelException)
            {
                return Report.Error(e.Message, ExitCodes.Usage);
            }
            catch (StorageException e)
            {
                return Report.Error(e.Message, ExitCodes.Failure);
            }
        }
    }

    /// <summary>Progress on standard error, only when a person is watching.</summary>
    public static Action<long>? Progress(string unit) =>
        Console.IsErrorRedirected ? null : count => Console.Error.Write($"\r{count:N0} {unit}…");
}
