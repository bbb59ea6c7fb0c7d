using System.Text.Json;
using MiAudit.Detection.Decoding.Decoders;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// Turns strings and bytes into leaves, recursively: each decoding of <see cref="DecoderRegistry"/> that yields
/// something readable adds a step to the path, and what it yields is expanded in turn. Every step spends from the
/// request's <see cref="DecodeLimits"/>.
/// </summary>
internal sealed class LeafExpander(DecodeLimits limits, DecodedRequest output)
{
    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    private long _decodedBytes;

    public void Text(string text, LeafPath path) => Text(text, path, default);

    /// <param name="utf8">The bytes the text was read from, when it was: JSON is parsed from them without transcoding.</param>
    public void Text(string text, LeafPath path, ReadOnlyMemory<byte> utf8)
    {
        var index = output.Leaves.Count;
        if (!AddLeaf(text, path) || text.Length < 4)
        {
            return;
        }

        if (path.TransformCount >= limits.MaxTransforms)
        {
            Note($"decoding depth limit ({limits.MaxTransforms} steps) at {path}");
            return;
        }

        bool expanded;
        try
        {
            expanded = Expand(text, utf8, path);
        }
        catch (Exception e) when (IsDecodingFault(e))
        {
            // Whatever the audited party sent, one value that will not decode must not hide the rest of the request.
            Failed(path, e);
            expanded = false;
        }

        if (expanded)
        {
            output.Leaves[index] = output.Leaves[index] with { Expanded = true };
        }
    }

    /// <summary>Everything but the runtime running out of memory: decoding is bounded, so that is not ours to swallow.</summary>
    internal static bool IsDecodingFault(Exception e) => e is not (OutOfMemoryException or InsufficientExecutionStackException);

    private void Failed(LeafPath path, Exception e) => Note($"could not decode {path}: {e.GetType().Name}: {e.Message}");

    /// <summary>Walks the registry; true when a decoding produced children that carry the whole value.</summary>
    private bool Expand(string text, ReadOnlyMemory<byte> utf8, LeafPath path)
    {
        if (UndecodedTexts.Contains(text))
        {
            return false;
        }

        var (leaves, notes) = (output.Leaves.Count, output.LimitsReached.Count);
        var span = text.AsSpan();
        foreach (var decoder in DecoderRegistry.Text)
        {
            if (decoder.Recognises(span))
            {
                // Partly (a URL's parameters) leaves the value a leaf of its own and lets the next decoders try.
                switch (decoder.Decode(text, utf8, path, this))
                {
                    case Decoded.Whole:
                        return true;
                    case Decoded.Claimed:
                        return false;
                }
            }
        }

        if (output.Leaves.Count == leaves && output.LimitsReached.Count == notes && DecompressionRoom == limits.MaxDecompressedBytes)
        {
            UndecodedTexts.Add(text); // nothing came of it, and no limit (noted, or a budget partly spent) decided that
        }

        return false;
    }

    /// <summary>How many leaves the request has so far (decoders compare before and after).</summary>
    public int LeafCount => output.Leaves.Count;

    /// <summary>How many bytes one decompression may still produce.</summary>
    public int DecompressionRoom => (int)Math.Min(limits.MaxDecompressedBytes, Math.Max(0, limits.MaxDecodedBytes - _decodedBytes));

    /// <param name="guessed">
    /// True when a heuristic produced these bytes (base64, hex): they count only if they read as text or inflate.
    /// False for bytes that really are a body, where strings are also pulled out of binary data.
    /// </param>
    public void Bytes(byte[] bytes, LeafPath path, bool guessed)
    {
        if (bytes.Length == 0 || !Spend(bytes.Length))
        {
            return;
        }

        try
        {
            ExpandBytes(bytes, path, guessed);
        }
        catch (Exception e) when (IsDecodingFault(e))
        {
            Failed(path, e);
        }
    }

    private void ExpandBytes(byte[] bytes, LeafPath path, bool guessed)
    {
        foreach (var decoder in DecoderRegistry.Bytes)
        {
            if (decoder.Decode(bytes, guessed, path, this) != Decoded.No)
            {
                return;
            }
        }
    }

    /// <summary>Decompresses within the limits; null when the bytes are not really in that format.</summary>
    public byte[]? Inflate(byte[] bytes, string format, LeafPath path)
    {
        if (path.TransformCount >= limits.MaxTransforms)
        {
            Note($"decoding depth limit ({limits.MaxTransforms} steps) at {path}");
            return null;
        }

        var room = DecompressionRoom;
        var inflated = Decompression.TryDecompress(bytes, format, room, out var truncated);
        if (truncated)
        {
            Note($"decompressed size limit ({room / 1024} KiB) at {path} → {format}; the rest was not read");
        }

        return inflated;
    }

    public void Note(string limit)
    {
        if (!output.LimitsReached.Contains(limit))
        {
            output.LimitsReached.Add(limit);
        }
    }

    private bool AddLeaf(string text, LeafPath path)
    {
        if (output.Leaves.Count >= limits.MaxLeaves)
        {
            Note($"leaf limit ({limits.MaxLeaves}) reached; later values were not examined");
            return false;
        }

        output.Leaves.Add(new Leaf(text, path));
        return true;
    }

    public bool Spend(int bytes)
    {
        _decodedBytes += bytes;
        if (_decodedBytes <= limits.MaxDecodedBytes)
        {
            return true;
        }

        Note($"decoding budget ({limits.MaxDecodedBytes / (1024 * 1024)} MiB per request) spent; later values were not decoded");
        return false;
    }

    /// <summary>Parses a JSON document and walks it; false when it is not JSON after all.</summary>
    public bool Json(string text, ReadOnlyMemory<byte> utf8, LeafPath path)
    {
        JsonDocument document;
        try
        {
            var options = JsonOptions with { MaxDepth = limits.MaxJsonDepth };
            document = utf8.IsEmpty ? JsonDocument.Parse(text, options) : JsonDocument.Parse(utf8, options);
        }
        catch (JsonException e)
        {
            if (e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
            {
                Note($"JSON nesting limit ({limits.MaxJsonDepth}) at {path}");
                return true;
            }

            return false;
        }

        using (document)
        {
            Walk(document.RootElement, path.Transform("json"));
        }

        return true;
    }

    private void Walk(JsonElement element, LeafPath path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                // Sensors Analytics' encryption plugins wrap events as {ekey|key_id|pkv, payloads|payload}: noted
                // while the members are read anyway, ahead of anything found inside.
                var envelopeAt = output.EncryptedPayloads.Count;
                var (hasKey, hasPayload) = (false, false);
                foreach (var property in element.EnumerateObject())
                {
                    var name = JsonStrings.Name(property);
                    hasKey |= name is "ekey" or "key_id" or "pkv";
                    hasPayload |= name is "payloads" or "payload";
                    Walk(property.Value, path.Member(name));
                }

                if (hasKey && hasPayload)
                {
                    output.EncryptedPayloads.Insert(envelopeAt, new EncryptedPayload(path, "sensors-analytics"));
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path.Index(index++));
                }

                break;
            case JsonValueKind.String:
                Text(JsonStrings.Value(element), path);
                break;
            case JsonValueKind.Number:
                AddLeaf(element.GetRawText(), path);
                break;
        }
    }
}
