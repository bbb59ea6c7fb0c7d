using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace MiAudit.Storage.Writing;

/// <summary>
/// Tells whether the file a connection writes to is still the one at its path. SQLite keeps writing into a deleted or
/// replaced file without complaint (the open descriptor outlives the name), so without this check flows would be
/// "committed" into a file nobody can ever open again.
/// </summary>
internal static partial class DatabaseFileCheck
{
    private const int SqliteOk = 0;
    private const int FileControlHasMoved = 20; // SQLITE_FCNTL_HAS_MOVED: the VFS compares the path's inode with the open file's

    /// <summary>True when the database file was deleted, renamed or replaced since the connection opened it.</summary>
    public static bool HasMoved(SqliteConnection connection, string path)
    {
        try
        {
            if (FileControl(connection.Handle!.DangerousGetHandle(), "main\0"u8, FileControlHasMoved, out var moved) == SqliteOk)
            {
                return moved != 0;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A SQLite build without the call: fall back to the name alone.
        }

        return !File.Exists(path);
    }

    [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_file_control")]
    private static partial int FileControl(IntPtr database, ReadOnlySpan<byte> schema, int operation, out int result);
}
