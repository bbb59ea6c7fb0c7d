namespace MiAudit.Cli;

/// <summary>
/// Files the commands write (exports, reports): written beside the target and renamed into place, so a failure never
/// leaves half a file under the name, and a path that cannot be written is one line saying why.
/// </summary>
internal static class OutputFile
{
    /// <summary>Writes the file; returns why it could not be written, or null.</summary>
    public static string? Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return $"cannot write {full}: it is a directory";
        }

        var temporary = full + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16))
            {
                write(stream);
            }

            File.Move(temporary, full, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Nothing was written there, or it cannot be removed either: the reason below is the one that matters.
            }

            return $"cannot write {full}: {Reason(full, e)}";
        }
    }

    private static string Reason(string path, Exception e) => e switch
    {
        DirectoryNotFoundException => $"the folder {Path.GetDirectoryName(path)} does not exist",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
