using System.Buffers;
using System.IO.Compression;

namespace MiAudit.Detection.Decoding;

/// <summary>Bounded decompression: a bomb yields its first bytes and a note, never gigabytes.</summary>
internal static class Decompression
{
    /// <summary>The format whose magic bytes start <paramref name="bytes"/>, if any.</summary>
    public static string? SniffFormat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 3 && bytes[0] == 0x1f && bytes[1] == 0x8b && bytes[2] == 0x08)
        {
            return "gzip";
        }

        if (bytes.Length >= 4 && bytes[0] == 0x28 && bytes[1] == 0xb5 && bytes[2] == 0x2f && bytes[3] == 0xfd)
        {
            return "zstd";
        }

        // zlib: CM=8, a window size that exists, and a header checksum that holds.
        if (bytes.Length >= 2 && (bytes[0] & 0x0f) == 8 && (bytes[0] >> 4) <= 7 && ((bytes[0] << 8) | bytes[1]) % 31 == 0)
        {
            return "zlib";
        }

        return null;
    }

    /// <summary>Maps a Content-Encoding token to a format this class decodes.</summary>
    public static string? FromContentEncoding(string? contentEncoding) => contentEncoding?.Trim().ToLowerInvariant() switch
    {
        "gzip" or "x-gzip" => "gzip",
        "deflate" => "deflate",
        "br" => "br",
        "zstd" => "zstd",
        _ => null,
    };

    /// <returns>The decompressed bytes (possibly cut at <paramref name="limit"/>), or null when the data is not in that format.</returns>
    public static byte[]? TryDecompress(byte[] data, string format, int limit, out bool truncated)
    {
        truncated = false;
        if (format == "snappy")
        {
            return TrySnappy(data, limit, out truncated);
        }

        try
        {
            using var input = new MemoryStream(data, writable: false);
            using var stream = Open(input, format);
            using var output = new MemoryStream(Math.Min(limit, data.Length * 4));
            truncated = CopyBounded(stream, output, limit);
            return output.ToArray();
        }
        // BrotliStream reports invalid data as InvalidOperationException, the others as InvalidDataException or their own.
        catch (Exception e) when (e is InvalidDataException or IOException or ZstdSharp.ZstdException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Copies at most <paramref name="limit"/> bytes; true when there was more.</summary>
    private static bool CopyBounded(Stream source, MemoryStream destination, int limit)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
            {
                var room = limit - (int)destination.Length;
                if (read > room)
                {
                    destination.Write(buffer, 0, room);
                    return true;
                }

                destination.Write(buffer, 0, read);
            }

            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Snappy's raw block format (what GrowingIO's SDKs send): one block whose header states its length, so a block
    /// larger than the limit is not read at all rather than cut.
    /// </summary>
    private static byte[]? TrySnappy(byte[] data, int limit, out bool truncated)
    {
        truncated = false;
        try
        {
            if (Snappier.Snappy.GetUncompressedLength(data) > limit)
            {
                truncated = true;
                return null;
            }

            return Snappier.Snappy.DecompressToArray(data);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static Stream Open(Stream input, string format) => format switch
    {
        "gzip" => new GZipStream(input, CompressionMode.Decompress),
        "zlib" => new ZLibStream(input, CompressionMode.Decompress),
        // HTTP "deflate" is zlib-wrapped by the RFC, raw deflate in practice; try the RFC form first.
        "deflate" => SniffFormat(PeekTwo(input)) == "zlib" ? new ZLibStream(input, CompressionMode.Decompress) : new DeflateStream(input, CompressionMode.Decompress),
        "raw-deflate" => new DeflateStream(input, CompressionMode.Decompress),
        "br" => new BrotliStream(input, CompressionMode.Decompress),
        "zstd" => new ZstdSharp.DecompressionStream(input),
        _ => throw new ArgumentException($"unknown format {format}"),
    };

    private static byte[] PeekTwo(Stream input)
    {
        var two = new byte[2];
        var read = input.Read(two, 0, 2);
        input.Position = 0;
        return two[..read];
    }
}
