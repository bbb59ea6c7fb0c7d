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
            return ReadBounded(stream, Math.Min(limit, data.Length * 4), limit, out truncated);
        }
        // BrotliStream reports invalid data as InvalidOperationException, the others as InvalidDataException or their own.
        catch (Exception e) when (e is InvalidDataException or IOException or ZstdSharp.ZstdException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads at most <paramref name="limit"/> bytes into a pooled buffer that grows as needed, and returns them as one
    /// array of their exact size; <paramref name="truncated"/> when there was more.
    /// </summary>
    private static byte[] ReadBounded(Stream source, int expected, int limit, out bool truncated)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(expected, 4096));
        var length = 0;
        try
        {
            truncated = false;
            while (true)
            {
                var end = Math.Min(buffer.Length, limit);
                if (length == end)
                {
                    if (length == limit)
                    {
                        truncated = source.Read(stackalloc byte[1]) > 0; // full at the limit: one byte more says whether anything was cut
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    continue;
                }

                var read = source.Read(buffer, length, end - length);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            return buffer.AsSpan(0, length).ToArray();
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
